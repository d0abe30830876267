#include "common/time/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace vitals {

namespace {
// factor^62 with factor 2 is ~4.6e18 ms: past any sane max, and still finite for any factor a
// config can set, so scaling by a zero jitter never meets inf * 0.
constexpr std::uint32_t kMaxExponent = 62;
}  // namespace

Backoff::Backoff(BackoffPolicy policy) : policy_(policy) {
  policy_.factor = std::max(policy_.factor, 1.0);
  policy_.jitter_low = std::max(policy_.jitter_low, 0.0);
  policy_.jitter_high = std::max(policy_.jitter_high, policy_.jitter_low);
}

std::chrono::milliseconds Backoff::delay(std::uint32_t failures, Random& random) const {
  const std::uint32_t exponent = std::min(failures == 0 ? 0 : failures - 1, kMaxExponent);
  const double cap = static_cast<double>(policy_.max.count());
  double base = static_cast<double>(policy_.initial.count()) *
                std::pow(policy_.factor, static_cast<double>(exponent));
  if (!policy_.cap_after_jitter) {
    base = std::min(base, cap);
  }
  const double scale =
      policy_.jitter_low + (policy_.jitter_high - policy_.jitter_low) * random.uniform();
  double jittered = base * scale;
  if (policy_.cap_after_jitter) {
    jittered = std::min(jittered, cap);
  }
  return std::chrono::milliseconds{static_cast<std::int64_t>(jittered)};
}

}  // namespace vitals
