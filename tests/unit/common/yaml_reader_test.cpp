#include <catch2/catch.hpp>

#include "common/config/yaml_reader.hpp"

using namespace vitals::config;
using namespace std::chrono_literals;

TEST_CASE("durations parse with units and refuse bare numbers", "[common][unit]") {
  CHECK(parseDuration("250ms") == 250ms);
  CHECK(parseDuration("30s") == 30s);
  CHECK(parseDuration("1m30s") == 90s);
  CHECK(parseDuration("2h") == 2h);
  CHECK(parseDuration("7d") == std::chrono::hours{168});
  CHECK_FALSE(parseDuration("30"));
  CHECK_FALSE(parseDuration("s"));
  CHECK_FALSE(parseDuration("-5s"));
  CHECK_FALSE(parseDuration("5 s"));
  CHECK(formatDuration(90s) == "90s");
  CHECK(formatDuration(2min) == "2m");
}

TEST_CASE("unknown keys are reported with file, line and path", "[common][unit]") {
  Problems problems;
  auto root = YamlReader::loadString("a: 1\nnested:\n  known: x\n  typo: y\n", "t.yaml", problems);
  REQUIRE(root);
  root->integer("a", 0, 10);
  auto nested = root->mapping("nested");
  REQUIRE(nested);
  nested->str("known");
  nested->finish();
  root->finish();
  REQUIRE(problems.list().size() == 1);
  CHECK(problems.list()[0].format() == "t.yaml:4: nested.typo: unknown key");
}

TEST_CASE("every bad value is collected, not just the first", "[common][unit]") {
  Problems problems;
  auto root = YamlReader::loadString(
      "interval: 30\nport: 99999\nenabled: maybe\nitems:\n  - x: 1\n  - 7\n", "c.yaml", problems);
  REQUIRE(root);
  CHECK_FALSE(root->duration("interval", 1s, 1h));
  CHECK_FALSE(root->integer("port", 1, 65535));
  CHECK_FALSE(root->boolean("enabled"));
  auto items = root->mappings("items");
  REQUIRE(items);
  CHECK(items->size() == 1);
  const auto text = problems.format();
  CHECK_THAT(text, Catch::Contains("c.yaml:1: interval: must be a duration"));
  CHECK_THAT(text, Catch::Contains("c.yaml:2: port: must be between 1 and 65535, got 99999"));
  CHECK_THAT(text, Catch::Contains("c.yaml:3: enabled: must be true or false"));
  CHECK_THAT(text, Catch::Contains("c.yaml:6: items[1]: must be a mapping"));
}

TEST_CASE("invalid YAML names the line", "[common][unit]") {
  Problems problems;
  auto root = YamlReader::loadString("a: [1, 2\nb: 3\n", "bad.yaml", problems);
  CHECK_FALSE(root);
  REQUIRE(problems.list().size() == 1);
  CHECK_THAT(problems.list()[0].format(), Catch::StartsWith("bad.yaml:"));
  CHECK_THAT(problems.list()[0].message, Catch::Contains("invalid YAML"));
}

TEST_CASE("a missing file is one clear problem", "[common][unit]") {
  Problems problems;
  CHECK_FALSE(YamlReader::loadFile("/nonexistent/agent.yaml", problems));
  REQUIRE(problems.list().size() == 1);
  CHECK(problems.list()[0].format() == "/nonexistent/agent.yaml: cannot read file");
}
