#pragma once
// Retry delays for notification delivery: exponential with jitter, capped.
#include <chrono>

#include "common/random/random.hpp"
#include "hub/notify/notify_settings.hpp"

namespace vitals::hub::notify {

// Delay before the next attempt after `failed_attempts` (>= 1) failures: initial * 2^(n-1),
// capped at max, then scaled by a random factor in [0.5, 1) so that retries of many rows (or
// hubs) spread out.
std::chrono::milliseconds retryDelay(int failed_attempts, const RetryPolicy& policy,
                                     Random& random);

}  // namespace vitals::hub::notify
