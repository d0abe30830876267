#pragma once
// Per-check state machine: a pure function of (state, outcome, thresholds). No clock, no I/O.
//
//   unknown --first success--> healthy (or degraded when slow)
//   any     --slow success---> degraded (latency > degraded_latency, or the probe said degraded)
//   any     --failure #retries--> down; fewer failures keep the status ("soft" failure)
//   down/degraded --`recover` consecutive good results--> healthy
//   down    --`recover` consecutive successes, the last ones slow--> degraded
#include <chrono>
#include <cstdint>
#include <optional>

#include "agent/probe/probe_outcome.hpp"
#include "common/model/status.hpp"

namespace vitals::agent {

struct Thresholds {
  std::uint32_t retries = 3;  // consecutive failures before Down (>= 1)
  std::uint32_t recover = 1;  // consecutive good results to recover (>= 1)
  std::optional<std::chrono::microseconds> degraded_latency;
};

struct CheckState {
  HealthStatus status = HealthStatus::Unknown;
  std::uint32_t consecutive_failures = 0;
  std::uint32_t consecutive_successes = 0;  // healthy or slow
  std::uint32_t consecutive_good = 0;       // healthy and fast

  bool operator==(const CheckState&) const = default;
};

// How one outcome is classified before the transition.
enum class RunVerdict { Good, Slow, Failure, Inconclusive };
RunVerdict classify(const ProbeOutcome& outcome, const Thresholds& thresholds);

CheckState apply(const CheckState& current, const ProbeOutcome& outcome,
                 const Thresholds& thresholds);

}  // namespace vitals::agent
