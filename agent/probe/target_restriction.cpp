#include "agent/probe/target_restriction.hpp"

#include "common/net/target_guard.hpp"

namespace vitals::agent {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

std::vector<net::IpAddress> addressesOf(const tcp::resolver::results_type& results) {
  std::vector<net::IpAddress> out;
  for (const auto& entry : results) {
    const auto a = entry.endpoint().address();
    net::IpAddress ip;
    if (a.is_v4()) {
      const auto b = a.to_v4().to_bytes();
      std::copy(b.begin(), b.end(), ip.bytes.begin());
    } else {
      ip.v6 = true;
      const auto b = a.to_v6().to_bytes();
      std::copy(b.begin(), b.end(), ip.bytes.begin());
    }
    out.push_back(ip);
  }
  return out;
}

tcp::endpoint endpointOf(const net::PinnedTarget& t) {
  if (t.address.v6) {
    asio::ip::address_v6::bytes_type b;
    std::copy(t.address.bytes.begin(), t.address.bytes.end(), b.begin());
    return {asio::ip::address_v6(b), static_cast<unsigned short>(t.port)};
  }
  return {asio::ip::address_v4(t.address.v4Value()), static_cast<unsigned short>(t.port)};
}

TargetDecision decide(const Result<net::PinnedTarget>& pinned) {
  TargetDecision d;
  if (pinned.ok()) {
    d.kind = TargetDecision::Kind::Connect;
    d.endpoint = endpointOf(pinned.value());
  } else if (pinned.error().code == "target.unresolved") {
    d.kind = TargetDecision::Kind::Resolve;
  } else {
    d.kind = TargetDecision::Kind::Refuse;
    d.message = "target refused: " + pinned.error().message;
  }
  return d;
}

}  // namespace

TargetDecision restrictHttpHop(const HttpCheckSpec& hop,
                               const tcp::resolver::results_type* resolved) {
  net::StaticResolver answers = resolved ? net::StaticResolver(addressesOf(*resolved))
                                         : net::StaticResolver();
  const net::TargetGuard guard(*hop.restrict_targets, answers);
  return decide(guard.checkUrl(hop.url));
}

TargetDecision restrictTcpTarget(const TcpCheckSpec& spec,
                                 const tcp::resolver::results_type* resolved) {
  net::StaticResolver answers = resolved ? net::StaticResolver(addressesOf(*resolved))
                                         : net::StaticResolver();
  const net::TargetGuard guard(*spec.restrict_targets, answers);
  return decide(guard.checkHostPort(spec.host, spec.port));
}

}  // namespace vitals::agent
