#pragma once
// HTTP(S) probe on cpp-httplib. The request is blocking, so it runs on a WorkQueue and its
// outcome comes back on the loop. httplib.h stays in http_probe.cpp.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include "agent/config/agent_config.hpp"
#include "agent/probe/probe.hpp"
#include "agent/runtime/work_queue.hpp"
#include "common/time/clock.hpp"

namespace vitals::agent {

class HttpProbe final : public Probe {
 public:
  // clock and queue must outlive every run (the composition root owns them).
  HttpProbe(HttpCheckSpec spec, Clock& clock, WorkQueue& queue);
  std::string_view kind() const override { return "http"; }
  std::string target() const override { return spec_->url; }
  void run(std::chrono::milliseconds timeout, Done done) override;

 private:
  std::shared_ptr<const HttpCheckSpec> spec_;
  Clock& clock_;
  WorkQueue& queue_;
};

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

// Blocking: performs one request (used by HttpProbe on a worker thread).
ProbeOutcome performHttpCheck(const HttpCheckSpec& spec, Clock& clock,
                              std::chrono::milliseconds timeout);

}  // namespace vitals::agent
