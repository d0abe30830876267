#include "hub/notify/backoff.hpp"

#include <algorithm>

#include "common/time/backoff.hpp"

namespace vitals::hub::notify {

std::chrono::milliseconds retryDelay(int failed_attempts, const RetryPolicy& policy,
                                     Random& random) {
  const Backoff backoff{
      withHalfJitter(BackoffPolicy{.initial = policy.initial, .max = policy.max})};
  return backoff.delay(static_cast<std::uint32_t>(std::max(failed_attempts, 1)), random);
}

}  // namespace vitals::hub::notify
