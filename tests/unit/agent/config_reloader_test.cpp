// The config reloader with ManualTime, a real scheduler and fake probes: what an applied reload
// keeps, starts and stops; that a refused one changes nothing; the reload metric.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "agent/config/config_loader.hpp"
#include "agent/reload/config_reloader.hpp"
#include "common/random/random.hpp"
#include "common/time/manual_time.hpp"
#include "fakes/fake_probe.hpp"
#include "fakes/test_logger.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace vitals::agent::test;
using namespace std::chrono_literals;

namespace {

std::string tcp(const std::string& name, int port) {
  return "  - name: " + name + "\n    kind: tcp\n    host: h\n    port: " + std::to_string(port) +
         "\n";
}

std::optional<AgentConfig> parse(const std::string& yaml, config::Problems& problems) {
  LoadOptions o;
  o.hostname = "web-01";
  o.readable = [](const std::string&) { return true; };
  return parseAgentConfig(yaml, "agent.yaml", o, problems);
}

struct Rig {
  ManualTime time;
  FixedRandom random{0.0};
  metrics::Registry metrics;
  ProbeScheduler scheduler{time, time, random, [](CheckResult) {}, metrics, quietLogger()};
  ProbeRegistry probes;
  std::map<std::string, int> built;          // probes built per check name
  std::map<std::string, FakeProbe*> latest;  // the last probe built per check name
  std::set<std::string> unbuildable;
  AgentConfig running;
  std::string next_yaml;
  std::vector<std::pair<std::size_t, std::string>> applied;
  std::unique_ptr<ConfigReloader> reloader;

  explicit Rig(const std::string& yaml) {
    probes.add("tcp", [this](const CheckConfig& c) -> Result<std::unique_ptr<Probe>> {
      if (unbuildable.count(c.name) != 0) {
        return Error{"probe.invalid", "cannot build " + c.name, {}};
      }
      ++built[c.name];
      auto probe = std::make_unique<FakeProbe>();
      latest[c.name] = probe.get();
      return std::unique_ptr<Probe>(std::move(probe));
    });
    config::Problems problems;
    auto cfg = parse(yaml, problems);
    INFO(problems.format());
    REQUIRE(cfg);
    running = std::move(*cfg);
    for (const auto& c : running.checks) {
      scheduler.add(scheduledCheck(c), std::move(probes.create(c).value()));
    }
    running.checks.clear();  // as the agent does once the probes exist
    reloader = std::make_unique<ConfigReloader>(
        "agent.yaml", running, scheduler, probes,
        [this](config::Problems& p) { return parse(next_yaml, p); },
        [this](std::size_t checks, const std::string& hash) { applied.emplace_back(checks, hash); },
        metrics, quietLogger());
  }
  double lastSuccess() { return metrics.gauge("vitals_config_last_reload_success", "").value(); }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& c : scheduler.runningChecks()) {
      out.push_back(c.name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

const std::string kStart =
    "agent_id: a1\nchecks:\n" + tcp("keep", 1) + tcp("change", 2) + tcp("drop", 3);

}  // namespace

TEST_CASE("an applied reload keeps unchanged checks and restarts changed ones",
          "[agent][unit][config]") {
  Rig rig(kStart);
  CHECK(rig.lastSuccess() == 1);  // no reload tried yet
  rig.next_yaml = "agent_id: a1\nchecks:\n" + tcp("keep", 1) + tcp("change", 20) + tcp("new", 4);
  REQUIRE(rig.reloader->reload());

  CHECK(rig.names() == std::vector<std::string>{"change", "keep", "new"});
  CHECK(rig.built["keep"] == 1);    // kept with its probe, state and schedule
  CHECK(rig.built["change"] == 2);  // stopped and started fresh
  CHECK(rig.built["new"] == 1);
  CHECK(rig.lastSuccess() == 1);
  REQUIRE(rig.applied.size() == 1);
  CHECK(rig.applied[0].first == 3);
  CHECK(rig.applied[0].second == rig.running.config_hash);
  CHECK(rig.running.checks.empty());  // the reloaded config is not kept
}

TEST_CASE("an invalid file is refused and changes nothing", "[agent][unit][config]") {
  Rig rig(kStart);
  const std::string hash = rig.running.config_hash;
  rig.next_yaml = "agent_id: a1\nchecks:\n" + tcp("keep", 0);  // port 0 is invalid
  CHECK_FALSE(rig.reloader->reload());
  CHECK(rig.names() == std::vector<std::string>{"change", "drop", "keep"});
  CHECK(rig.lastSuccess() == 0);
  CHECK(rig.applied.empty());
  CHECK(rig.running.config_hash == hash);
}

TEST_CASE("a check whose probe cannot be built refuses the whole reload", "[agent][unit][config]") {
  Rig rig(kStart);
  rig.unbuildable.insert("new");
  rig.next_yaml = "agent_id: a1\nchecks:\n" + tcp("keep", 1) + tcp("new", 4);
  CHECK_FALSE(rig.reloader->reload());
  CHECK(rig.names() == std::vector<std::string>{"change", "drop", "keep"});
  CHECK(rig.lastSuccess() == 0);

  // The next good reload sets the metric back.
  rig.unbuildable.clear();
  REQUIRE(rig.reloader->reload());
  CHECK(rig.names() == std::vector<std::string>{"keep", "new"});
  CHECK(rig.lastSuccess() == 1);
}

TEST_CASE("a kept check keeps its probe and its schedule across a reload",
          "[agent][unit][config]") {
  Rig rig("agent_id: a1\nchecks:\n" + tcp("keep", 1) + "    interval: 10s\n");
  rig.time.advance(0s);
  FakeProbe* probe = rig.latest["keep"];
  REQUIRE(probe->runs() == 1);
  probe->succeed();

  rig.next_yaml =
      "agent_id: a1\nchecks:\n" + tcp("keep", 1) + "    interval: 10s\n" + tcp("other", 2);
  REQUIRE(rig.reloader->reload());
  CHECK(rig.latest["keep"] == probe);
  rig.time.advance(9s);
  CHECK(probe->runs() == 1);
  rig.time.advance(1s);  // the next run of the old schedule, not a fresh start
  CHECK(probe->runs() == 2);
}
