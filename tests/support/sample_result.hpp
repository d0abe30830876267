#pragma once
// One CheckResult with every field set, for codec round trips and the fuzz_decode seeds.
#include <chrono>
#include <cstdint>

#include "common/model/check_result.hpp"

namespace vitals::test {

inline CheckResult sampleResult(std::uint64_t seq) {
  CheckResult r;
  r.agent_id = "web-01";
  r.boot_id = "b00t";
  r.seq = seq;
  r.service = "shop";
  r.check = "shop-http";
  r.kind = "http";
  r.status = HealthStatus::Degraded;
  r.raw_status = HealthStatus::Degraded;
  r.latency = std::chrono::microseconds{123456};
  r.message = "HTTP 200 in 123 ms";
  r.details = {{"http.status", "200"}};
  r.observed_at = SystemTime{std::chrono::milliseconds{1'790'000'000'123}};
  r.failure_kind = FailureKind::Timeout;
  r.attempt = 2;
  r.consecutive_failures = 1;
  r.flapping = true;
  return r;
}

}  // namespace vitals::test
