#include "common/time/backoff.hpp"

#include <catch2/catch.hpp>

using namespace vitals;
using namespace std::chrono_literals;

TEST_CASE("backoff doubles from initial per failure and stops growing at max", "[common][unit]") {
  FixedRandom low{0.0};
  const Backoff backoff{
      BackoffPolicy{.initial = 100ms, .max = 1s, .jitter_low = 1.0, .jitter_high = 1.0}};
  CHECK(backoff.delay(0, low) == 100ms);  // 0 counts as the first failure
  CHECK(backoff.delay(1, low) == 100ms);
  CHECK(backoff.delay(2, low) == 200ms);
  CHECK(backoff.delay(4, low) == 800ms);
  CHECK(backoff.delay(5, low) == 1s);
  CHECK(backoff.delay(4'000'000'000u, low) == 1s);  // no overflow on very long outages
}

TEST_CASE("backoff jitter scales the delay by a fraction drawn from the injected random",
          "[common][unit]") {
  const Backoff spread{withSpreadJitter(BackoffPolicy{.initial = 1s, .max = 10s}, 0.2)};
  FixedRandom low{0.0};
  FixedRandom mid{0.5};
  FixedRandom high{0.999};
  CHECK(spread.delay(1, low) == 800ms);
  CHECK(spread.delay(1, mid) == 1000ms);
  CHECK(spread.delay(1, high) == 1199ms);
  // Jitter applies to the capped delay by default, so it may pass max by the spread.
  CHECK(spread.delay(10, high) == 11996ms);

  const Backoff half{withHalfJitter(BackoffPolicy{.initial = 1s, .max = 10s})};
  CHECK(half.delay(1, low) == 500ms);
  CHECK(half.delay(1, high) == 999ms);
  CHECK(half.delay(30, low) == 5s);
}

TEST_CASE("backoff with cap_after_jitter never exceeds max", "[common][unit]") {
  BackoffPolicy policy = withSpreadJitter(BackoffPolicy{.initial = 1s, .max = 30s}, 0.2);
  policy.cap_after_jitter = true;
  const Backoff backoff{policy};
  FixedRandom low{0.0};
  FixedRandom high{0.999};
  CHECK(backoff.delay(5, low) == 12800ms);   // 16 s * 0.8
  CHECK(backoff.delay(5, high) == 19193ms);  // 16 s * 1.1996
  CHECK(backoff.delay(6, high) == 30s);
  CHECK(backoff.delay(1000, low) == 30s);
}

TEST_CASE("backoff honours a growth factor other than two", "[common][unit]") {
  FixedRandom any{0.3};
  const Backoff backoff{BackoffPolicy{
      .initial = 100ms, .max = 10s, .factor = 3.0, .jitter_low = 1.0, .jitter_high = 1.0}};
  CHECK(backoff.delay(3, any) == 900ms);
}

TEST_CASE("backoff treats a factor below one as no growth", "[common][unit]") {
  FixedRandom any{0.3};
  const Backoff backoff{BackoffPolicy{
      .initial = 100ms, .max = 10s, .factor = 0.5, .jitter_low = 1.0, .jitter_high = 1.0}};
  CHECK(backoff.delay(10, any) == 100ms);
}
