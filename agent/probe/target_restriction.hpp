#pragma once
// The pre-connect hook of the http and tcp probes for checks with `restrict_targets: true`
// (targets that did not come from the agent owner's own config): the SSRF guard
// (common/net/target_guard.hpp) decides which single address the probe may connect to, for
// every hop including redirects. Names are resolved by the probe's own asynchronous resolver
// and then judged, so the loop thread never blocks in getaddrinfo. Included only by the probe
// .cpp files (Asio).
#include <string>

#include "agent/config/kind_specs.hpp"
#include "common/asio/asio.hpp"

namespace vitals::agent {

struct TargetDecision {
  enum class Kind {
    Connect,  // connect to exactly `endpoint`
    Resolve,  // a host name: resolve it, then ask again with the results
    Refuse,   // the target is not allowed; `message` says why
  };
  Kind kind = Kind::Refuse;
  boost::asio::ip::tcp::endpoint endpoint;
  std::string message;
};

// hop.restrict_targets must be set. resolved: null before the lookup.
TargetDecision restrictHttpHop(const HttpCheckSpec& hop,
                               const boost::asio::ip::tcp::resolver::results_type* resolved);
TargetDecision restrictTcpTarget(const TcpCheckSpec& spec,
                                 const boost::asio::ip::tcp::resolver::results_type* resolved);

}  // namespace vitals::agent
