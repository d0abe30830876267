#include <catch2/catch.hpp>
#include <cstdio>
#include <ctime>

#include "common/time/clock.hpp"

using namespace vitals;

TEST_CASE("RFC 3339 formatting and parsing agree", "[common][unit]") {
  const SystemTime t{std::chrono::milliseconds{1'790'000'000'123}};
  const auto text = formatRfc3339(t);
  CHECK(text == "2026-09-21T14:13:20.123Z");
  SystemTime back;
  REQUIRE(parseRfc3339(text, back));
  CHECK(back == t);
}

TEST_CASE("RFC 3339 parsing honours offsets and refuses garbage", "[common][unit]") {
  SystemTime a, b;
  REQUIRE(parseRfc3339("2026-09-21T16:13:20+02:00", a));
  REQUIRE(parseRfc3339("2026-09-21T14:13:20Z", b));
  CHECK(a == b);
  SystemTime x;
  CHECK_FALSE(parseRfc3339("yesterday", x));
  CHECK_FALSE(parseRfc3339("2026-13-01T00:00:00Z", x));
  CHECK_FALSE(parseRfc3339("2026-09-21T14:13:20", x));  // no zone
  CHECK_FALSE(parseRfc3339("2026-09-21T14:13:20Zjunk", x));
}

TEST_CASE("RFC 3339 formatting matches gmtime across leap years, month ends and before 1970",
          "[common][unit]") {
  // Every 7,777,777,777 ms (about 90 days) from 1901 to 2099, plus each step's neighbours.
  for (long long ms = -2'200'000'000'000LL; ms < 4'100'000'000'000LL; ms += 7'777'777'777LL) {
    for (long long t : {ms, ms - 1, ms + 999}) {
      std::time_t secs = static_cast<std::time_t>(t >= 0 ? t / 1000 : (t - 999) / 1000);
      const long frac = static_cast<long>(t - static_cast<long long>(secs) * 1000);
      std::tm tm{};
      gmtime_r(&secs, &tm);
      char expected[64];
      std::snprintf(expected, sizeof expected, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
                    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                    frac);
      INFO(t);
      CHECK(formatRfc3339(SystemTime{std::chrono::milliseconds{t}}) == expected);
    }
  }
  CHECK(formatRfc3339(SystemTime{std::chrono::seconds{951'782'400}}) == "2000-02-29T00:00:00.000Z");
}
