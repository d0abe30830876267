// The hub config's `repair:` section: defaults, every key, and the problems it reports.
#include <catch2/catch.hpp>

#include "hub/config/hub_config.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace std::chrono_literals;

namespace {

ConfigSources noSources() {
  ConfigSources s;
  s.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  s.read_file = [](const std::string&) -> Result<std::string> { return std::string("secret"); };
  return s;
}

std::optional<HubConfig> parse(const std::string& yaml, std::string& problems) {
  config::Problems p;
  auto c = parseHubConfig(yaml, "hub.yaml", noSources(), p);
  problems = p.format();
  return c;
}

}  // namespace

TEST_CASE("repair config: defaults when the section is absent", "[hub][unit][repair]") {
  std::string problems;
  auto c = parse("hub_id: h\n", problems);
  REQUIRE(c);
  CHECK(c->repair.enabled);
  CHECK(c->repair.rate_limit == 10);
  CHECK(c->repair.rate_window == 1h);
  CHECK(c->repair.approval_expiry == 30min);
  CHECK_FALSE(c->repair.default_enabled);
  CHECK(c->repair.default_cooldown == 5min);
}

TEST_CASE("repair config: every key is read", "[hub][unit][repair]") {
  std::string problems;
  auto c = parse(
      "notify:\n  channels:\n    ops: {type: webhook, url: \"http://127.0.0.1:1/x\", "
      "secret_file: /s}\n"
      "repair:\n  enabled: false\n  rate_limit: 3\n  rate_window: 10m\n  approval_expiry: 2m\n"
      "  command_timeout: 20s\n  sweep_interval: 500ms\n  notify_channels: [ops]\n"
      "  default_policy:\n    enabled: true\n    dry_run: true\n    require_approval: true\n"
      "    max_attempts: 5\n    cooldown: 1m\n    circuit_breaker: 4\n    verify_after: 0ms\n",
      problems);
  INFO(problems);
  REQUIRE(c);
  CHECK_FALSE(c->repair.enabled);
  CHECK(c->repair.rate_limit == 3);
  CHECK(c->repair.notify_channels == std::vector<std::string>{"ops"});
  CHECK(c->repair.default_max_attempts == 5);
  CHECK(c->repair.default_verify_after == 0ms);
}

TEST_CASE("repair config: unknown keys, bad values and unknown channels are problems",
          "[hub][unit][repair]") {
  std::string problems;
  auto c = parse(
      "repair:\n  rate_limit: -1\n  approval_expiry: 0s\n  notify_channels: [pager]\n"
      "  surprise: 1\n  default_policy:\n    max_attempts: 0\n    exploded: true\n",
      problems);
  CHECK_FALSE(c);
  CHECK(problems.find("repair.rate_limit") != std::string::npos);
  CHECK(problems.find("repair.approval_expiry") != std::string::npos);
  CHECK(problems.find("unknown channel \"pager\"") != std::string::npos);
  CHECK(problems.find("repair.surprise") != std::string::npos);
  CHECK(problems.find("repair.default_policy.max_attempts") != std::string::npos);
  CHECK(problems.find("repair.default_policy.exploded") != std::string::npos);
}
