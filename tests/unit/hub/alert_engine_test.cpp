// The alert engine against the in-memory AlertStore: what a batch of status changes and a tick
// write (incidents, timeline, outbox), exactly once, with silences, maintenance, dependencies,
// escalation by ManualTime and the grouped agents-unreachable incident. No database, no sleeping.
#include <spdlog/logger.h>
#include <catch2/catch.hpp>

#include "common/metrics/metrics.hpp"
#include "common/time/manual_time.hpp"
#include "hub/alerts/alert_engine.hpp"
#include "tests/unit/hub/fakes/fake_alert_engine_store.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace std::chrono_literals;
using alerts::IncidentKind;

namespace {

class FakeLiveView final : public alerts::LiveView {
 public:
  std::map<std::string, HealthStatus> statuses;
  HealthStatus statusOf(const std::string& service) const override {
    auto it = statuses.find(service);
    return it == statuses.end() ? HealthStatus::Unknown : it->second;
  }
  bool flapping(const std::string&, const std::string&) const override { return false; }
};

notify::AlertConfig config(const std::string& service, std::vector<std::string> channels,
                           int escalation_delay_seconds = 0) {
  notify::AlertConfig c;
  c.service = service;
  c.channels = std::move(channels);
  c.escalation_delay_seconds = escalation_delay_seconds;
  return c;
}

struct Rig {
  explicit Rig(policy::ServiceRules rules = {}) : rules_(std::move(rules)) {}
  ManualTime time;
  FakeLiveView live;
  metrics::Registry registry;
  std::shared_ptr<spdlog::logger> logger = std::make_shared<spdlog::logger>("null");
  test::FakeAlertEngineStore store;
  policy::ServiceRules rules_;
  alerts::AlertEngine engine{
      [] {
        return Result<std::unique_ptr<store::PgConnection>>(Error{"db.unavailable", "", {}});
      },
      time,
      live,
      rules_,
      settings(),
      registry,
      logger};

  static alerts::EngineSettings settings() {
    alerts::EngineSettings s;
    s.defaults = config("", {"ops"});
    s.max_notify_age = 5min;
    return s;
  }

  std::int64_t change(const std::string& service, HealthStatus from, HealthStatus to,
                      policy::Cause cause = policy::Cause::Check) {
    alerts::Change c;
    c.service = service;
    c.from = from;
    c.to = to;
    c.at = time.now();
    c.agent = "a1";
    c.check = "http";
    c.cause = cause;
    c.reason = service + " is " + std::string(toString(to));
    return store.addChange(c);
  }

  int process() {
    auto n = engine.processChanges(store);
    REQUIRE(n.ok());
    return n.value();
  }
  int tick() {
    auto n = engine.tick(store);
    REQUIRE(n.ok());
    return n.value();
  }
};

}  // namespace

TEST_CASE("a down change opens one incident and one outbox notice, once", "[hub][unit][alerts]") {
  Rig rig;
  rig.change("web", HealthStatus::Healthy, HealthStatus::Down);
  CHECK(rig.process() == 1);
  const auto incidents = rig.store.incidentsOf("web");
  REQUIRE(incidents.size() == 1);
  CHECK(incidents[0].open);
  CHECK(incidents[0].status == HealthStatus::Down);
  REQUIRE(rig.store.t.outbox.size() == 1);
  CHECK(rig.store.t.outbox[0].channel == "ops");
  CHECK(rig.store.t.outbox[0].to_status == "down");
  CHECK(rig.store.t.cursor == 1);

  // Processed again (nothing new after the cursor): nothing more.
  CHECK(rig.process() == 0);
  CHECK(rig.tick() == 0);
  CHECK(rig.store.incidentsOf("web").size() == 1);
  CHECK(rig.store.t.outbox.size() == 1);
}

TEST_CASE("a recovery resolves the incident and sends a recovery notice", "[hub][unit][alerts]") {
  Rig rig;
  rig.change("web", HealthStatus::Healthy, HealthStatus::Down);
  rig.process();
  rig.time.advance(2min);
  rig.change("web", HealthStatus::Down, HealthStatus::Healthy);
  CHECK(rig.process() == 1);
  const auto incidents = rig.store.incidentsOf("web");
  REQUIRE(incidents.size() == 1);
  CHECK_FALSE(incidents[0].open);
  CHECK(incidents[0].resolved_at.has_value());
  REQUIRE(rig.store.t.outbox.size() == 2);
  CHECK(rig.store.t.outbox[1].to_status == "healthy");
  CHECK(rig.store.t.outbox[1].incident == rig.store.t.outbox[0].incident);
}

TEST_CASE("a failed write rolls the batch back and the next pass does it exactly once",
          "[hub][unit][alerts]") {
  Rig rig;
  rig.change("web", HealthStatus::Healthy, HealthStatus::Down);
  rig.store.fail_next = "enqueue";
  auto failed = rig.engine.processChanges(rig.store);
  REQUIRE_FALSE(failed.ok());
  CHECK(rig.store.t.incidents.empty());
  CHECK(rig.store.t.cursor == 0);
  CHECK(rig.process() == 1);
  CHECK(rig.store.incidentsOf("web").size() == 1);
  CHECK(rig.store.t.outbox.size() == 1);
}

TEST_CASE("a silenced change is recorded but not sent, and is notified when the silence ends",
          "[hub][unit][alerts]") {
  Rig rig;
  alerts::Silence s;
  s.id = 7;
  s.service = "web";
  s.starts_at = rig.time.now() - 1min;
  s.ends_at = rig.time.now() + 10min;
  rig.store.t.silences.push_back(s);
  rig.change("web", HealthStatus::Healthy, HealthStatus::Down);
  rig.process();
  const auto incidents = rig.store.incidentsOf("web");
  REQUIRE(incidents.size() == 1);
  CHECK(incidents[0].open);
  CHECK(incidents[0].silenced_by == std::optional<std::int64_t>{7});
  CHECK(rig.store.t.outbox.empty());

  rig.time.advance(5min);
  rig.tick();
  CHECK(rig.store.t.outbox.empty());
  rig.time.advance(6min);
  rig.tick();
  REQUIRE(rig.store.t.outbox.size() == 1);
  CHECK(rig.store.t.outbox[0].to_status == "down");
}

TEST_CASE("a maintenance window suppresses the notices of the services it covers",
          "[hub][unit][alerts]") {
  Rig rig;
  alerts::Silence m;
  m.id = 3;
  m.service = "db-*";
  m.maintenance = true;
  m.starts_at = rig.time.now() - 1min;
  m.ends_at = rig.time.now() + 1h;
  rig.store.t.silences.push_back(m);
  rig.change("db-main", HealthStatus::Healthy, HealthStatus::Down);
  rig.change("web", HealthStatus::Healthy, HealthStatus::Down);
  CHECK(rig.process() == 2);
  REQUIRE(rig.store.t.outbox.size() == 1);
  CHECK(rig.store.t.outbox[0].service == "web");
  REQUIRE(rig.store.incidentsOf("db-main").size() == 1);
  CHECK(rig.store.incidentsOf("db-main")[0].silenced_by == std::optional<std::int64_t>{3});
}

TEST_CASE("a service whose dependency is down is recorded with the root cause and not paged",
          "[hub][unit][alerts]") {
  policy::ServiceRules rules;
  rules["web"].depends_on = {"db"};
  Rig rig(rules);
  rig.live.statuses["db"] = HealthStatus::Down;
  rig.change("web", HealthStatus::Healthy, HealthStatus::Down);
  rig.process();
  REQUIRE(rig.store.incidentsOf("web").size() == 1);
  CHECK(rig.store.incidentsOf("web")[0].root_cause == "db");
  CHECK(rig.store.t.outbox.empty());
}

TEST_CASE("escalation reaches the next channel only after its delay without an acknowledgement",
          "[hub][unit][alerts]") {
  Rig rig;
  rig.store.putConfig(config("web", {"first", "second"}, 300));
  rig.change("web", HealthStatus::Healthy, HealthStatus::Down);
  rig.process();
  CHECK(rig.store.sentTo("first").size() == 1);
  CHECK(rig.store.sentTo("second").empty());

  rig.time.advance(299s);
  rig.tick();
  CHECK(rig.store.sentTo("second").empty());
  rig.time.advance(2s);
  CHECK(rig.tick() == 1);
  REQUIRE(rig.store.sentTo("second").size() == 1);
  CHECK(rig.store.sentTo("first").size() == 1);
  rig.time.advance(1s);
  rig.tick();
  CHECK(rig.store.t.outbox.size() == 2);
}

TEST_CASE("a changed alert config is read again on the next pass", "[hub][unit][alerts]") {
  Rig rig;
  rig.change("web", HealthStatus::Healthy, HealthStatus::Down);
  rig.process();
  rig.time.advance(1min);
  rig.change("web", HealthStatus::Down, HealthStatus::Healthy);
  rig.process();
  CHECK(rig.store.sentTo("ops").size() == 2);  // the defaults, now cached
  rig.store.putConfig(config("web", {"pager"}));
  rig.time.advance(1min);
  rig.change("web", HealthStatus::Healthy, HealthStatus::Down);
  rig.process();
  CHECK(rig.store.sentTo("ops").size() == 2);
  REQUIRE(rig.store.sentTo("pager").size() == 1);
  CHECK(rig.store.sentTo("pager")[0].to_status == "down");
}

TEST_CASE("services turned unknown by unreachable agents page once, as the grouped incident",
          "[hub][unit][alerts]") {
  Rig rig;
  rig.change("web", HealthStatus::Healthy, HealthStatus::Unknown, policy::Cause::Unreachable);
  rig.change("api", HealthStatus::Healthy, HealthStatus::Unknown, policy::Cause::Unreachable);
  rig.change(policy::kAgentsGroupService, HealthStatus::Healthy, HealthStatus::Unknown,
             policy::Cause::AgentsGroup);
  CHECK(rig.process() == 3);
  CHECK(rig.store.incidentsOf("web").empty());
  CHECK(rig.store.incidentsOf("api").empty());
  const auto group = rig.store.incidentsOf(policy::kAgentsGroupService);
  REQUIRE(group.size() == 1);
  CHECK(group[0].kind == IncidentKind::Agents);
  REQUIRE(rig.store.t.outbox.size() == 1);
  CHECK(rig.store.t.outbox[0].service == policy::kAgentsGroupService);
}

TEST_CASE("after an outage only the newest change of each service is acted on",
          "[hub][unit][alerts]") {
  Rig rig;
  rig.change("web", HealthStatus::Healthy, HealthStatus::Down);
  rig.time.advance(1min);
  rig.change("web", HealthStatus::Down, HealthStatus::Healthy);
  rig.time.advance(10min);  // both older than max_notify_age when the engine gets to them
  rig.change("api", HealthStatus::Healthy, HealthStatus::Down);
  CHECK(rig.process() == 3);
  CHECK(rig.store.incidentsOf("web").empty());  // the newest change of web is a recovery
  REQUIRE(rig.store.t.outbox.size() == 1);
  CHECK(rig.store.t.outbox[0].service == "api");
  CHECK(rig.store.t.cursor == 3);
}
