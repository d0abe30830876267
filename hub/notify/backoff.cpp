#include "hub/notify/backoff.hpp"

#include <algorithm>

namespace vitals::hub::notify {

std::chrono::milliseconds retryDelay(int failed_attempts, const RetryPolicy& policy,
                                     Random& random) {
  const int exponent = std::clamp(failed_attempts - 1, 0, 40);
  const double base = std::min(static_cast<double>(policy.initial.count()) *
                                   static_cast<double>(1LL << std::min(exponent, 40)),
                               static_cast<double>(policy.max.count()));
  const double factor = 0.5 + 0.5 * random.uniform();
  return std::chrono::milliseconds{static_cast<std::int64_t>(base * factor)};
}

}  // namespace vitals::hub::notify
