#pragma once
// Exponential retry delays with jitter: the one implementation every retry loop uses.
#include <chrono>
#include <cstdint>

#include "common/random/random.hpp"

namespace vitals {

struct BackoffPolicy {
  std::chrono::milliseconds initial{1000};  // delay after the first failure
  std::chrono::milliseconds max{30000};     // no delay grows past this (see cap_after_jitter)
  double factor = 2.0;                      // growth per further failure (>= 1)
  // The delay is scaled by a random fraction in [jitter_low, jitter_high) so that many
  // retrying parties (checks, agents, rows, hubs) do not retry in step.
  double jitter_low = 0.8;
  double jitter_high = 1.2;
  // false: jitter scales the capped delay (it can exceed max by jitter_high);
  // true: max caps the jittered delay (it never exceeds max).
  bool cap_after_jitter = false;
};

// Jitter in [1 - spread, 1 + spread): "+-20%" is spread(0.2).
constexpr BackoffPolicy withSpreadJitter(BackoffPolicy p, double spread) {
  p.jitter_low = 1.0 - spread;
  p.jitter_high = 1.0 + spread;
  return p;
}

// Jitter in [0.5, 1): at least half the delay, never more than all of it.
constexpr BackoffPolicy withHalfJitter(BackoffPolicy p) {
  p.jitter_low = 0.5;
  p.jitter_high = 1.0;
  return p;
}

// Stateless apart from its policy; the caller counts its own failures. Thread-safe as long as
// the Random passed in is.
class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy);

  // Delay before the next attempt after `failures` consecutive failures: initial *
  // factor^(failures-1), capped at max, scaled by the jitter. 0 counts as 1. No overflow for
  // any count.
  [[nodiscard]] std::chrono::milliseconds delay(std::uint32_t failures, Random& random) const;

  const BackoffPolicy& policy() const { return policy_; }

 private:
  BackoffPolicy policy_;
};

}  // namespace vitals
