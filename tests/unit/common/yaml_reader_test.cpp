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

namespace {

// Reads `items` with `reader` and returns every problem, formatted, plus the items' names.
struct ReadOut {
  std::string problems;
  std::vector<std::string> names;
  bool streamed = false;
};

ReadOut readItems(const std::string& text, bool streaming) {
  Problems problems;
  ReadOut out;
  auto root = streaming ? YamlReader::loadStringStreaming(text, "s.yaml", "items", problems)
                        : YamlReader::loadString(text, "s.yaml", problems);
  if (root) {
    out.streamed = root->streams("items");
    root->str("before");
    root->eachMapping("items", [&](YamlReader& item) {
      out.names.push_back(item.str("name", "?"));
      item.integer("port", 1, 65535);
      if (auto nested = item.mapping("nested")) {
        nested->integer("n", 0, 9);
        nested->finish();
      }
      item.finish();
    });
    root->str("after");
    root->finish();
  }
  out.problems = problems.format();
  return out;
}

const char* const kItems =
    "before: x\n"                        // 1
    "flow: {a: [1, 2], b: {c: d}}\n"     // 2
    "items:\n"                           // 3
    "  - name: a\n"                      // 4
    "    port: 70000\n"                  // 5
    "  # between items\n"                // 6
    "  - {name: b, port: 0, typo: 1}\n"  // 7
    "  - name: c\n"                      // 8
    "    nested:\n"                      // 9
    "      n: 10\n"                      // 10
    "  - 7\n"                            // 11
    "  - name: d\n"                      // 12
    "    port: 80\n"                     // 13
    "\n"                                 // 14
    "after: y\n"                         // 15
    "stray: 1\n";                        // 16

}  // namespace

TEST_CASE("a streamed list gives the same items, lines and paths as one tree", "[common][unit]") {
  const auto tree = readItems(kItems, false);
  const auto streamed = readItems(kItems, true);
  CHECK_FALSE(tree.streamed);
  CHECK(streamed.streamed);
  CHECK(streamed.names == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(streamed.names == tree.names);
  CHECK(streamed.problems == tree.problems);
  CHECK_THAT(streamed.problems,
             Catch::Contains("s.yaml:5: items[0].port: must be between 1 and 65535, got 70000"));
  CHECK_THAT(streamed.problems, Catch::Contains("s.yaml:7: items[1].port: must be between"));
  CHECK_THAT(streamed.problems, Catch::Contains("s.yaml:7: items[1].typo: unknown key"));
  CHECK_THAT(streamed.problems,
             Catch::Contains("s.yaml:10: items[2].nested.n: must be between 0 and 9, got 10"));
  CHECK_THAT(streamed.problems, Catch::Contains("s.yaml:11: items[3]: must be a mapping"));
  CHECK_THAT(streamed.problems, Catch::Contains("s.yaml:2: flow: unknown key"));
  CHECK_THAT(streamed.problems, Catch::Contains("s.yaml:16: stray: unknown key"));
}

TEST_CASE("a streamed list at the end of the file without a final newline reads every item",
          "[common][unit]") {
  const std::string text = "items:\n- name: a\n  port: 0\n- name: b";
  const auto streamed = readItems(text, true);
  CHECK(streamed.streamed);
  CHECK(streamed.names == std::vector<std::string>{"a", "b"});
  CHECK(streamed.problems == readItems(text, false).problems);
  CHECK_THAT(streamed.problems, Catch::Contains("s.yaml:3: items[0].port: must be between"));
}

TEST_CASE("lists the lines cannot split are read as one tree with the same results",
          "[common][unit]") {
  const char* const texts[] = {
      // flow sequence
      "items: [{name: a, port: 0}, {name: b}]\nafter: y\n",
      // an alias shares a node between items
      "items:\n  - &base {name: a, port: 0}\n  - *base\n",
      // the item starts on the line after its dash
      "items:\n  -\n    name: a\n    port: 0\n  - name: b\n",
      // a flow mapping at the top
      "{before: x, items: [{name: a}]}\n",
  };
  for (const char* text : texts) {
    INFO(text);
    const auto streamed = readItems(text, true);
    CHECK_FALSE(streamed.streamed);
    const auto tree = readItems(text, false);
    CHECK(streamed.names == tree.names);
    CHECK(streamed.problems == tree.problems);
  }
}

TEST_CASE("invalid YAML inside a streamed list names its line and nothing is read",
          "[common][unit]") {
  Problems problems;
  auto root = YamlReader::loadStringStreaming(
      "items:\n  - name: a\n  - name: [b\n  - name: c\nafter: y\n", "bad.yaml", "items", problems);
  CHECK_FALSE(root);
  REQUIRE(problems.list().size() == 1);
  CHECK(problems.list()[0].line >= 3);
  CHECK_THAT(problems.list()[0].format(), Catch::StartsWith("bad.yaml:"));
  CHECK_THAT(problems.list()[0].message, Catch::Contains("invalid YAML"));
}

TEST_CASE("a streamed key that is not a list is reported as by mappings()", "[common][unit]") {
  const auto streamed = readItems("items: 7\n", true);
  CHECK_FALSE(streamed.streamed);
  CHECK_THAT(streamed.problems, Catch::Contains("s.yaml:1: items: must be a list"));
  const auto absent = readItems("before: x\n", true);
  CHECK(absent.names.empty());
  CHECK(absent.problems.empty());
}
