#include <catch2/catch.hpp>

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
  CHECK_FALSE(parseRfc3339("2026-09-21T14:13:20", x));   // no zone
  CHECK_FALSE(parseRfc3339("2026-09-21T14:13:20Zjunk", x));
}
