// Checks managed through the hub's API (ApiChecks) with ManualTime, a real scheduler and fake
// probes: the same loader as the file, the SSRF guard, the file's precedence, the whole-set
// semantics, dry runs, and how a config reload treats them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "agent/config/config_loader.hpp"
#include "agent/reload/api_checks.hpp"
#include "agent/reload/config_reloader.hpp"
#include "common/net/target_guard.hpp"
#include "common/random/random.hpp"
#include "common/time/manual_time.hpp"
#include "fakes/fake_probe.hpp"
#include "fakes/test_logger.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace vitals::agent::test;

namespace {

std::string fileTcp(const std::string& name, int port) {
  return "  - name: " + name + "\n    kind: tcp\n    host: h\n    port: " + std::to_string(port) +
         "\n";
}

ApiCheckDef tcpCheck(const std::string& name, const std::string& host, int port) {
  return {name, R"({"name":")" + name + R"(","kind":"tcp","host":")" + host + R"(","port":)" +
                    std::to_string(port) + "}"};
}

ApiCheckDef httpCheck(const std::string& name, const std::string& url) {
  return {name, R"({"name":")" + name + R"(","kind":"http","url":")" + url + R"("})"};
}

struct Rig {
  ManualTime time;
  FixedRandom random{0.0};
  metrics::Registry metrics;
  ProbeScheduler scheduler{time, time, random, [](CheckResult) {}, metrics, quietLogger()};
  ProbeRegistry probes;
  std::map<std::string, int> built;
  std::vector<std::size_t> changes;
  AgentConfig running;
  std::string next_yaml;
  std::unique_ptr<ApiChecks> api;
  std::unique_ptr<ConfigReloader> reloader;

  static std::optional<AgentConfig> parse(const std::string& yaml, config::Problems& p) {
    LoadOptions o;
    o.hostname = "web-01";
    o.readable = [](const std::string&) { return true; };
    return parseAgentConfig(yaml, "agent.yaml", o, p);
  }

  explicit Rig(const std::string& yaml) {
    for (const char* kind : {"tcp", "http"}) {
      probes.add(kind, [this](const CheckConfig& c) -> Result<std::unique_ptr<Probe>> {
        ++built[c.name];
        return std::unique_ptr<Probe>(std::make_unique<FakeProbe>());
      });
    }
    config::Problems problems;
    auto cfg = parse(yaml, problems);
    INFO(problems.format());
    REQUIRE(cfg);
    running = std::move(*cfg);
    for (const auto& c : running.checks) {
      scheduler.add(scheduledCheck(c), std::move(probes.create(c).value()));
    }
    running.checks.clear();
    LoadOptions o;
    o.readable = [](const std::string&) { return true; };
    api = std::make_unique<ApiChecks>(
        scheduler, probes, running.target_allowlist, o,
        [this](std::size_t n) { changes.push_back(n); }, quietLogger());
    reloader = std::make_unique<ConfigReloader>(
        "agent.yaml", running, scheduler, probes,
        [this](config::Problems& p) { return parse(next_yaml, p); },
        [](std::size_t, const std::string&) {}, metrics, quietLogger());
    reloader->setApiChecks(api.get());
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& c : scheduler.runningChecks()) {
      out.push_back(c.name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

const std::string kFile =
    "agent_id: a1\ntarget_allowlist: [\"127.0.0.1/32\"]\nchecks:\n" + fileTcp("file-db", 5432);

}  // namespace

TEST_CASE("an API check starts at once and the same set again changes nothing",
          "[agent][unit][api_checks]") {
  Rig rig(kFile);
  auto out = rig.api->apply({tcpCheck("api-web", "127.0.0.1", 8080)}, false);
  REQUIRE(out.size() == 1);
  CHECK(out[0].applied);
  CHECK(out[0].error.empty());
  CHECK(rig.names() == std::vector<std::string>{"api-web", "file-db"});
  CHECK(rig.api->owns("api-web"));
  CHECK(rig.changes == std::vector<std::size_t>{2});

  // Idempotent: the same set keeps the probe (no second build) and announces nothing.
  out = rig.api->apply({tcpCheck("api-web", "127.0.0.1", 8080)}, false);
  CHECK(out[0].applied);
  CHECK(rig.built["api-web"] == 1);
  CHECK(rig.changes.size() == 1);

  // A changed definition restarts it.
  out = rig.api->apply({tcpCheck("api-web", "127.0.0.1", 8081)}, false);
  CHECK(out[0].applied);
  CHECK(rig.built["api-web"] == 2);
  CHECK(rig.changes.size() == 2);
}

TEST_CASE("an invalid API check is refused with the key that is wrong",
          "[agent][unit][api_checks]") {
  Rig rig(kFile);
  auto out = rig.api->apply({tcpCheck("bad-port", "127.0.0.1", 70000)}, false);
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].applied);
  CHECK(out[0].error.rfind("port: ", 0) == 0);
  out = rig.api->apply({{"no-kind", R"({"name":"no-kind","host":"127.0.0.1","port":1})"}}, false);
  CHECK(out[0].error.find("kind: is required") != std::string::npos);
  out = rig.api->apply({{"typo", R"({"name":"typo","kind":"tcp","host":"127.0.0.1","port":1,
                                     "intervl":"5s"})"}},
                       false);
  CHECK(out[0].error.find("intervl") != std::string::npos);
  out = rig.api->apply(
      {{"other", R"({"name":"renamed","kind":"tcp","host":"127.0.0.1","port":1})"}}, false);
  CHECK(out[0].error.rfind("name: must be \"other\"", 0) == 0);
  CHECK(rig.names() == std::vector<std::string>{"file-db"});
  CHECK(rig.changes.empty());
}

TEST_CASE("only http and tcp checks can come from the API", "[agent][unit][api_checks]") {
  Rig rig(kFile);
  auto out =
      rig.api->apply({{"cmd", R"({"name":"cmd","kind":"exec","command":["/bin/true"]})"}}, false);
  CHECK_FALSE(out[0].applied);
  CHECK(out[0].error.rfind("kind: kind \"exec\" cannot be managed through the API", 0) == 0);
  out = rig.api->apply(
      {{"open",
        R"({"name":"open","kind":"tcp","host":"127.0.0.1","port":1,"restrict_targets":false})"}},
      false);
  CHECK(out[0].error.rfind("restrict_targets: ", 0) == 0);
  CHECK(rig.names() == std::vector<std::string>{"file-db"});
}

TEST_CASE("an API check never overrides a file check of the same name",
          "[agent][unit][api_checks]") {
  Rig rig(kFile);
  auto out = rig.api->apply({tcpCheck("file-db", "127.0.0.1", 1)}, false);
  CHECK_FALSE(out[0].applied);
  CHECK(out[0].error.find("defined in the agent's config file") != std::string::npos);
  CHECK_FALSE(rig.api->owns("file-db"));
  CHECK(rig.built["file-db"] == 1);  // the file's probe still runs
}

TEST_CASE("targets the SSRF guard blocks are refused unless allowlisted",
          "[agent][unit][api_checks]") {
  Rig rig(kFile);  // allowlist: 127.0.0.1/32 only
  auto out = rig.api->apply(
      {httpCheck("metadata", "http://169.254.169.254/latest/meta-data/"),
       tcpCheck("other-loopback", "127.0.0.2", 80),
       httpCheck("named-loopback", "http://localhost:8080/"), tcpCheck("allowed", "127.0.0.1", 80)},
      false);
  REQUIRE(out.size() == 4);
  CHECK(out[0].error.rfind("url: refused by the SSRF guard: ", 0) == 0);
  CHECK(out[1].error.rfind("host: refused by the SSRF guard: ", 0) == 0);
  CHECK(out[2].error.rfind("url: refused by the SSRF guard: ", 0) == 0);
  CHECK(out[3].applied);
  CHECK(rig.names() == std::vector<std::string>{"allowed", "file-db"});

  // Without an allowlist loopback is refused too.
  Rig bare("agent_id: a1\nchecks:\n" + fileTcp("file-db", 5432));
  out = bare.api->apply({tcpCheck("allowed", "127.0.0.1", 80)}, false);
  CHECK(out[0].error.find("refused by the SSRF guard") != std::string::npos);
}

TEST_CASE("a check absent from the next set stops, and a dry run changes nothing",
          "[agent][unit][api_checks]") {
  Rig rig(kFile);
  rig.api->apply({tcpCheck("a", "127.0.0.1", 1), tcpCheck("b", "127.0.0.1", 2)}, false);
  CHECK(rig.names() == std::vector<std::string>{"a", "b", "file-db"});

  auto out = rig.api->apply({tcpCheck("c", "127.0.0.1", 3)}, true);
  CHECK(out[0].applied);
  CHECK(rig.names() == std::vector<std::string>{"a", "b", "file-db"});

  rig.api->apply({tcpCheck("b", "127.0.0.1", 2)}, false);
  CHECK(rig.names() == std::vector<std::string>{"b", "file-db"});
  rig.api->apply({}, false);
  CHECK(rig.names() == std::vector<std::string>{"file-db"});
  CHECK(rig.api->names().empty());
}

TEST_CASE("a config reload keeps API checks, and a new file check displaces one of its name",
          "[agent][unit][api_checks]") {
  Rig rig(kFile);
  rig.api->apply({tcpCheck("a", "127.0.0.1", 1), tcpCheck("b", "127.0.0.1", 2)}, false);
  rig.next_yaml = kFile + fileTcp("b", 9);
  REQUIRE(rig.reloader->reload());
  CHECK(rig.names() == std::vector<std::string>{"a", "b", "file-db"});
  CHECK(rig.api->owns("a"));
  CHECK_FALSE(rig.api->owns("b"));  // the file's b runs now

  // The hub's next set reports b refused, and a keeps running.
  auto out = rig.api->apply({tcpCheck("a", "127.0.0.1", 1), tcpCheck("b", "127.0.0.1", 2)}, false);
  CHECK(out[0].applied);
  CHECK_FALSE(out[1].applied);
  CHECK(rig.built["a"] == 1);
}
