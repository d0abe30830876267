#include "agent/state/check_state.hpp"

namespace vitals::agent {

RunVerdict classify(const ProbeOutcome& outcome, const Thresholds& thresholds) {
  switch (outcome.raw_status) {
    case HealthStatus::Down:
      return RunVerdict::Failure;
    case HealthStatus::Degraded:
      return RunVerdict::Slow;
    case HealthStatus::Healthy:
      if (thresholds.degraded_latency && outcome.latency > *thresholds.degraded_latency) {
        return RunVerdict::Slow;
      }
      return RunVerdict::Good;
    case HealthStatus::Unknown:
      break;
  }
  return RunVerdict::Inconclusive;
}

CheckState apply(const CheckState& current, const ProbeOutcome& outcome,
                 const Thresholds& thresholds) {
  CheckState next = current;
  const RunVerdict verdict = classify(outcome, thresholds);
  switch (verdict) {
    case RunVerdict::Failure:
      next.consecutive_failures = current.consecutive_failures + 1;
      next.consecutive_successes = 0;
      next.consecutive_good = 0;
      if (next.consecutive_failures >= thresholds.retries) {
        next.status = HealthStatus::Down;
      }
      return next;  // a soft failure keeps the status it had
    case RunVerdict::Inconclusive:
      // The probe could not tell (e.g. a plugin's UNKNOWN): we don't know either.
      return CheckState{HealthStatus::Unknown, 0, 0, 0};
    case RunVerdict::Good:
    case RunVerdict::Slow:
      break;
  }
  const bool good = verdict == RunVerdict::Good;
  next.consecutive_failures = 0;
  next.consecutive_successes = current.consecutive_successes + 1;
  next.consecutive_good = good ? current.consecutive_good + 1 : 0;
  const HealthStatus seen = good ? HealthStatus::Healthy : HealthStatus::Degraded;
  switch (current.status) {
    case HealthStatus::Unknown:
      next.status = seen;
      break;
    case HealthStatus::Healthy:
      next.status = seen;  // a slow answer degrades at once
      break;
    case HealthStatus::Degraded:
      if (!good) {
        next.status = HealthStatus::Degraded;
      } else {
        next.status = next.consecutive_good >= thresholds.recover ? HealthStatus::Healthy
                                                                  : HealthStatus::Degraded;
      }
      break;
    case HealthStatus::Down:
      if (next.consecutive_successes >= thresholds.recover) {
        next.status = next.consecutive_good >= thresholds.recover ? HealthStatus::Healthy
                                                                  : HealthStatus::Degraded;
      }
      break;
  }
  return next;
}

}  // namespace vitals::agent
