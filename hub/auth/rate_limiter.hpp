#pragma once
// Token buckets per caller ("key:<id>", "ip:<address>"): `rate` tokens per second refill up to
// `burst`; a request takes one. Pure (time comes in as an argument) and thread-safe.
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/time/clock.hpp"

namespace vitals::hub::auth {

struct RateLimit {
  double per_second = 20;  // 0 = unlimited
  int burst = 40;
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimit limit) : limit_(limit) {}
  // nullopt = allowed (a token was taken); otherwise how long until one is available (at least
  // one second, so it can be sent as Retry-After in whole seconds).
  std::optional<std::chrono::seconds> take(const std::string& caller, SteadyTime now);
  // Like take() but only looks: would a request be refused now?
  std::optional<std::chrono::seconds> check(const std::string& caller, SteadyTime now);

 private:
  struct Bucket {
    double tokens;
    SteadyTime updated;
  };
  Bucket& refill(const std::string& caller, SteadyTime now);
  std::optional<std::chrono::seconds> wait(const Bucket& b) const;
  RateLimit limit_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace vitals::hub::auth
