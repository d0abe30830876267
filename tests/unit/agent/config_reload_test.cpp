// Top-level config features for reload: include/conf_d merging, check definitions, reload plans.
#include <catch2/catch.hpp>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "agent/config/config_loader.hpp"
#include "agent/config/reload_plan.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "vitals-conf-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    const std::string p = path + "/" + name;
    fs::create_directories(fs::path(p).parent_path());
    std::ofstream(p) << text;
    return p;
  }
  std::string path;
};

LoadOptions options() {
  LoadOptions o;
  o.hostname = "web-01";
  o.readable = [](const std::string&) { return true; };
  return o;
}

std::optional<AgentConfig> parse(const std::string& yaml, config::Problems& problems,
                                 const std::string& file = "agent.yaml") {
  return parseAgentConfig(yaml, file, options(), problems);
}

AgentConfig parseOk(const std::string& yaml) {
  config::Problems problems;
  auto cfg = parse(yaml, problems);
  INFO(problems.format());
  REQUIRE(cfg);
  return *cfg;
}

std::string tcp(const std::string& name, int port = 1, const std::string& extra = "") {
  return "  - name: " + name + "\n    kind: tcp\n    host: h\n    port: " + std::to_string(port) +
         "\n" + extra;
}

std::vector<std::string> names(const std::vector<const CheckConfig*>& checks) {
  std::vector<std::string> out;
  for (const auto* c : checks) {
    out.push_back(c->name);
  }
  return out;
}

}  // namespace

TEST_CASE("conf_d and include merge checks from other files in sorted order",
          "[agent][unit][config]") {
  TempDir dir;
  dir.write("conf.d/20-b.yaml", "checks:\n" + tcp("b"));
  dir.write("conf.d/10-a.yaml", "checks:\n" + tcp("a"));
  dir.write("conf.d/ignored.txt", "not yaml: [");
  dir.write("extra/x.yaml", "checks:\n" + tcp("x"));
  const std::string main = dir.write(
      "agent.yaml", "conf_d: " + dir.path + "/conf.d\ninclude: [extra/*.yaml]\nchecks:\n" +
                        tcp("main"));
  config::Problems problems;
  auto cfg = loadAgentConfigFile(main, options(), problems);
  INFO(problems.format());
  REQUIRE(cfg);
  std::vector<std::string> got;
  for (const auto& c : cfg->checks) {
    got.push_back(c.name);
  }
  CHECK(got == std::vector<std::string>{"main", "x", "a", "b"});
  CHECK(cfg->include_files.size() == 3);
  CHECK(cfg->checks[2].source_file == dir.path + "/conf.d/10-a.yaml");
}

TEST_CASE("a check name used in two files is an error naming both files",
          "[agent][unit][config]") {
  TempDir dir;
  const std::string inc = dir.write("conf.d/dup.yaml", "checks:\n" + tcp("db"));
  const std::string main =
      dir.write("agent.yaml", "conf_d: " + dir.path + "/conf.d\nchecks:\n" + tcp("db"));
  config::Problems problems;
  CHECK_FALSE(loadAgentConfigFile(main, options(), problems));
  CHECK_THAT(problems.format(),
             Catch::Contains(inc + ":2: checks[0].name: duplicate check name \"db\" (first in " +
                             main + ":3)"));
}

TEST_CASE("problems in an include file are reported with that file's name and line",
          "[agent][unit][config]") {
  TempDir dir;
  const std::string inc =
      dir.write("conf.d/bad.yaml", "checks:\n" + tcp("db", 0) + "colour: blue\n");
  const std::string main = dir.write("agent.yaml", "conf_d: " + dir.path + "/conf.d\n");
  config::Problems problems;
  CHECK_FALSE(loadAgentConfigFile(main, options(), problems));
  CHECK_THAT(problems.format(), Catch::Contains(inc + ":5: checks[0].port:"));
  CHECK_THAT(problems.format(), Catch::Contains(inc + ":6: colour: unknown key"));
}

TEST_CASE("a check's definition changes with its YAML or the defaults, not with formatting",
          "[agent][unit][config]") {
  const auto a = parseOk("checks:\n" + tcp("db"));
  const auto same =
      parseOk("# a comment\nchecks:\n  - {kind: tcp, name: db, host: \"h\", port: 1}\n");
  const auto changed = parseOk("checks:\n" + tcp("db", 2));
  const auto new_defaults = parseOk("defaults: {retries: 5}\nchecks:\n" + tcp("db"));
  CHECK_FALSE(a.checks[0].definition.empty());
  CHECK(a.checks[0].definition == same.checks[0].definition);
  CHECK(a.checks[0].definition != changed.checks[0].definition);
  CHECK(a.checks[0].definition != new_defaults.checks[0].definition);
}

TEST_CASE("flap thresholds and heavy come from the check, then defaults, then the kind",
          "[agent][unit][config]") {
  const auto cfg = parseOk(
      "defaults: {flap_high: 40, flap_low: 20}\nchecks:\n" + tcp("d") +
      tcp("own", 1, "    flap_high: 70\n    flap_low: 30\n    heavy: true\n"));
  CHECK(cfg.checks[0].flap_high == 40.0);
  CHECK(cfg.checks[0].flap_low == 20.0);
  CHECK_FALSE(cfg.checks[0].heavy);
  CHECK(cfg.checks[1].flap_high == 70.0);
  CHECK(cfg.checks[1].flap_low == 30.0);
  CHECK(cfg.checks[1].heavy);
}

TEST_CASE("a reload plan keeps unchanged checks, restarts changed ones and stops removed ones",
          "[agent][unit][config][reload]") {
  const auto running = parseOk("checks:\n" + tcp("kept") + tcp("changed") + tcp("removed"));
  const auto next = parseOk("nats: {url: \"nats://10.0.0.1:4222\"}\nchecks:\n" + tcp("kept") +
                            tcp("changed", 2) + tcp("added"));
  const auto plan = planReload(running, next);
  CHECK(plan.keep == std::vector<std::string>{"kept"});
  CHECK(names(plan.start) == std::vector<std::string>{"changed", "added"});
  auto stop = plan.stop;
  std::sort(stop.begin(), stop.end());
  CHECK(stop == std::vector<std::string>{"changed", "removed"});
  CHECK(plan.restart_only == std::vector<std::string>{"nats"});
}

TEST_CASE("a reload of the same file changes nothing", "[agent][unit][config][reload]") {
  const auto cfg = parseOk("checks:\n" + tcp("a") + tcp("b"));
  const auto plan = planReload(cfg, cfg);
  CHECK(plan.keep.size() == 2);
  CHECK(plan.start.empty());
  CHECK(plan.stop.empty());
  CHECK(plan.restart_only.empty());
}
