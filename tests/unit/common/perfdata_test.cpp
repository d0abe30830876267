// Plugin performance data into labelled numbers (value, unit, thresholds, min, max).
#include "common/text/perfdata.hpp"

#include <catch2/catch.hpp>

using namespace vitals;

TEST_CASE("perfdata: the Nagios format with units, thresholds, min and max", "[unit][perfdata]") {
  const auto p = perfdata::parse("/=2643MB;5948;5958;0;5968 /boot=68MB;88;93;0;98 time=0.12s");
  REQUIRE(p.problems.empty());
  REQUIRE(p.values.size() == 3);
  CHECK(p.values[0].label == "/");
  CHECK(p.values[0].value == 2643.0);
  CHECK(p.values[0].unit == "MB");
  CHECK(p.values[0].warn == "5948");
  CHECK(p.values[0].crit == "5958");
  CHECK(p.values[0].min == 0.0);
  CHECK(p.values[0].max == 5968.0);
  CHECK(p.values[2].label == "time");
  CHECK(p.values[2].value == Approx(0.12));
  CHECK(p.values[2].unit == "s");
  CHECK(p.values[2].warn.empty());
  CHECK_FALSE(p.values[2].min.has_value());
}

TEST_CASE("perfdata: quoted labels with spaces and quotes, ranges, U and counters",
          "[unit][perfdata]") {
  const auto p = perfdata::parse(
      "'free space'=12.5%;@10:20;~:5 'it''s'=U 'a=b'=-3 packets=1024c load1=4.2;4;8;;");
  INFO(p.problems.size());
  REQUIRE(p.problems.empty());
  REQUIRE(p.values.size() == 5);
  CHECK(p.values[0].label == "free space");
  CHECK(p.values[0].unit == "%");
  CHECK(p.values[0].warn == "@10:20");
  CHECK(p.values[0].crit == "~:5");
  CHECK(p.values[1].label == "it's");
  CHECK_FALSE(p.values[1].value.has_value());
  CHECK(p.values[2].label == "a=b");
  CHECK(p.values[2].value == -3.0);
  CHECK(p.values[3].unit == "c");
  CHECK(p.values[4].value == Approx(4.2));
  CHECK(p.values[4].crit == "8");
  CHECK_FALSE(p.values[4].max.has_value());
}

TEST_CASE("perfdata: exponents, and a unit that starts with e is not one", "[unit][perfdata]") {
  const auto p = perfdata::parse("big=1e3 tiny=2.5E-2s");
  REQUIRE(p.problems.empty());
  REQUIRE(p.values.size() == 2);
  CHECK(p.values[0].value == 1000.0);
  CHECK(p.values[0].unit.empty());
  CHECK(p.values[1].value == Approx(0.025));
  CHECK(p.values[1].unit == "s");
}

TEST_CASE("perfdata: a bad item is skipped and named, the good ones are kept", "[unit][perfdata]") {
  const auto p = perfdata::parse(
      "ok=1 novalue= noequals 'unclosed=3 x=abc y=1;2;3;4;5;6 z=1;10:x w=1;;;low =5 fine=2");
  CHECK(p.values.size() == 2);
  CHECK(p.values.front().label == "ok");
  CHECK(p.values.back().label == "fine");
  REQUIRE(p.problems.size() >= 7);
  CHECK(p.problems[0] == "\"novalue=\": the value is not a number");
  CHECK(p.problems[1] == "\"noequals\": not label=value");
}

TEST_CASE("perfdata: at most max_items values, the rest counted", "[unit][perfdata]") {
  std::string text;
  for (int i = 0; i < 100; ++i) {
    text += "v" + std::to_string(i) + "=" + std::to_string(i) + " ";
  }
  const auto p = perfdata::parse(text, 10);
  CHECK(p.values.size() == 10);
  REQUIRE(p.problems.size() == 1);
  CHECK(p.problems[0] == "90 value(s) over the limit of 10 dropped");
  CHECK(perfdata::parse("").values.empty());
  CHECK(perfdata::parse("   ").problems.empty());
}
