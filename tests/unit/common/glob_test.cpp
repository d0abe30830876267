#include "common/text/glob.hpp"

#include <catch2/catch.hpp>

using vitals::text::globMatch;

TEST_CASE("glob: star matches any run, question mark one character", "[common]") {
  CHECK(globMatch("*", ""));
  CHECK(globMatch("*", "checkout"));
  CHECK(globMatch("check*", "checkout"));
  CHECK(globMatch("*out", "checkout"));
  CHECK(globMatch("c?eck*t", "checkout"));
  CHECK(globMatch("a*b*c", "axxbyyc"));
  CHECK_FALSE(globMatch("check?", "check"));
  CHECK_FALSE(globMatch("a*b*c", "axxbyy"));
  CHECK_FALSE(globMatch("", "x"));
}

TEST_CASE("glob: other characters are literal (no classes, no escapes)", "[common]") {
  CHECK(globMatch("[ab]", "[ab]"));
  CHECK_FALSE(globMatch("[ab]", "a"));
  CHECK(globMatch("db.*", "db.primary"));
  CHECK_FALSE(globMatch("db.*", "dbx"));
}
