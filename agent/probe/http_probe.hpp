#pragma once
// HTTP(S) probe, asynchronous on the loop's io_context: connect, optional TLS handshake (Asio
// SSL on OpenSSL), request, response parsed incrementally (HttpResponseParser), one deadline
// timer for the whole run including redirects. No worker thread, no per-probe client object.
// Asio and OpenSSL stay in http_probe.cpp.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include "agent/config/agent_config.hpp"
#include "agent/probe/probe.hpp"
#include "common/time/clock.hpp"

namespace boost::asio {
class io_context;
}

namespace vitals::agent {

// TLS client contexts shared by every https probe: one per trust setup (system store, a
// ca_file, or no verification), made on first use, so the CA store is loaded once rather than
// per run. Loop thread only.
class TlsContexts;
std::shared_ptr<TlsContexts> makeTlsContexts();

// io, clock and tls must outlive the probe; a run in flight keeps tls and the spec alive itself.
std::unique_ptr<Probe> makeHttpProbe(boost::asio::io_context& io, Clock& clock,
                                     std::shared_ptr<TlsContexts> tls, HttpCheckSpec spec);

// At most this much of a response body is kept for body_contains; the rest is read and dropped.
inline constexpr std::size_t kMaxHttpBody = 1 << 20;

// Pure: judges a received response against the spec (expected status set, body substring,
// body regex, JSON field condition).
ProbeOutcome evaluateHttpResponse(const HttpCheckSpec& spec, int status, std::string_view body,
                                  std::chrono::microseconds latency);
// Pure: adds the leaf certificate's expiry to an outcome: DOWN when expired, DEGRADED (if it was
// healthy) when fewer than spec.cert_warn_days remain. Details cert_not_after, cert_days_left.
ProbeOutcome applyCertExpiry(ProbeOutcome outcome, const HttpCheckSpec& spec,
                             SystemTime not_after, SystemTime now);
// True when status is expected: in spec.expected_status, or any 2xx when that is empty.
bool statusExpected(const HttpCheckSpec& spec, int status);

}  // namespace vitals::agent
