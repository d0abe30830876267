#include "hub/auth/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace vitals::hub::auth {
namespace {

// Full buckets carry no information; drop them when the map grows (many distinct callers).
constexpr std::size_t kPruneAbove = 10000;

}  // namespace

RateLimiter::Bucket& RateLimiter::refill(const std::string& caller, SteadyTime now) {
  if (buckets_.size() > kPruneAbove) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      const double elapsed = std::chrono::duration<double>(now - it->second.updated).count();
      if (it->second.tokens + elapsed * limit_.per_second >= limit_.burst) {
        it = buckets_.erase(it);
      } else {
        ++it;
      }
    }
  }
  auto [it, fresh] = buckets_.try_emplace(caller, Bucket{static_cast<double>(limit_.burst), now});
  auto& b = it->second;
  if (!fresh && now > b.updated) {
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min<double>(limit_.burst, b.tokens + elapsed * limit_.per_second);
    b.updated = now;
  }
  return b;
}

std::optional<std::chrono::seconds> RateLimiter::wait(const Bucket& b) const {
  if (b.tokens >= 1.0) {
    return std::nullopt;
  }
  const double seconds = (1.0 - b.tokens) / limit_.per_second;
  return std::chrono::seconds{std::max<long long>(1, static_cast<long long>(std::ceil(seconds)))};
}

std::optional<std::chrono::seconds> RateLimiter::take(const std::string& caller, SteadyTime now) {
  if (limit_.per_second <= 0) {
    return std::nullopt;
  }
  std::lock_guard lock(mu_);
  auto& b = refill(caller, now);
  if (auto w = wait(b)) {
    return w;
  }
  b.tokens -= 1.0;
  return std::nullopt;
}

std::optional<std::chrono::seconds> RateLimiter::check(const std::string& caller, SteadyTime now) {
  if (limit_.per_second <= 0) {
    return std::nullopt;
  }
  std::lock_guard lock(mu_);
  return wait(refill(caller, now));
}

}  // namespace vitals::hub::auth
