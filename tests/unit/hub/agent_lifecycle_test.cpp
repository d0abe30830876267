// The agent lifecycle on ManualTime with fakes: a clean stop turns an agent's services UNKNOWN at
// once, a restart within the grace is quiet, a check dropped from a registration or a retired
// agent takes its services out of the view, and the alert policy resolves and notifies as the
// docs say (docs/alerts.md, "When an agent stops").
#include <catch2/catch.hpp>

#include "common/log/log.hpp"
#include "common/time/manual_time.hpp"
#include "hub/alerts/alert_policy.hpp"
#include "hub/api/services_handler.hpp"
#include "hub/policy/liveness.hpp"
#include "hub/replica/state_sync.hpp"
#include "hub/replica/state_update.hpp"
#include "hub/status/status_tracker.hpp"
#include "tests/unit/hub/fakes/fake_read_store.hpp"
#include "tests/unit/hub/fakes/fake_status_store.hpp"
#include "tests/unit/hub/test_data.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace std::chrono_literals;
using policy::Cause;

namespace {

struct RecordingSink final : status::TransitionSink {
  void onTransitions(const std::vector<policy::Transition>& t) override {
    seen.insert(seen.end(), t.begin(), t.end());
  }
  std::vector<policy::Transition> seen;
};

status::TrackerSettings settings() {
  status::TrackerSettings s;
  s.lifecycle.restart_grace = 2min;
  s.lifecycle.forget_after = 7 * 24h;
  return s;
}

struct Rig {
  ManualTime time;
  state::HubState state;
  test::FakeStatusStore store;
  metrics::Registry registry;
  RecordingSink sink;
  std::vector<std::vector<std::string>> forgotten;
  status::StatusTracker tracker{
      state,    store,      time,
      registry, settings(), log::makeLogger("test", log::LogOptions{"off", log::Format::Text})};
  Rig() {
    tracker.addSink(sink);
    tracker.onForgotten([this](const std::vector<std::string>& a) { forgotten.push_back(a); });
  }

  void commit(store::IngestBatch batch) {
    batch.received_at = time.now();
    for (const auto& e : batch.catalog) {
      if (const auto* reg = std::get_if<Registration>(&e)) {
        state.applyRegistration(*reg);
      }
    }
    for (const auto& r : batch.results) {
      state.applyResult(r);
    }
    tracker.onCommitted(batch);
  }
  void seen(const std::string& agent) {
    store.agents[agent].agent_id = agent;
    store.agents[agent].last_seen = time.now();
    store.agents[agent].heartbeat_interval = 2000ms;
  }
  void registration(const std::string& agent, std::vector<CheckSpec> checks,
                    const std::string& boot = "boot") {
    auto reg = test::registration(agent, std::move(checks));
    reg.boot_id = boot;
    seen(agent);
    store.agents[agent].deregistered = false;
    store.agents[agent].deregistered_at.reset();
    store.agents[agent].forgotten = false;
    store::IngestBatch b;
    b.catalog.push_back(reg);
    commit(std::move(b));
  }
  void result(const std::string& agent, const std::string& service, const std::string& check,
              HealthStatus status, std::uint64_t seq, const std::string& boot = "boot") {
    auto r = test::result(agent, boot, seq, service, check, status, time.now());
    seen(agent);
    store::IngestBatch b;
    b.results.push_back(r);
    commit(std::move(b));
  }
  void deregister(const std::string& agent, const std::string& boot = "boot") {
    seen(agent);
    store.agents[agent].deregistered = true;
    store.agents[agent].deregistered_at = time.now();
    store::IngestBatch b;
    b.catalog.push_back(store::Deregistration{agent, boot, time.now()});
    commit(std::move(b));
  }
  std::vector<policy::Transition> changesSince(std::size_t from) const {
    return {store.changes.begin() + static_cast<std::ptrdiff_t>(from), store.changes.end()};
  }
};

// Agent a1: web (one check) and db (one check), both reporting.
void twoServices(Rig& rig) {
  rig.registration("a1", {test::spec("home", "web"), test::spec("port", "db", "tcp")});
  rig.result("a1", "web", "home", HealthStatus::Down, 1);
  rig.result("a1", "db", "port", HealthStatus::Healthy, 2);
}

}  // namespace

TEST_CASE("a clean stop turns every service of the agent unknown at once, saying when it stopped",
          "[hub][unit][lifecycle]") {
  Rig rig;
  REQUIRE(rig.tracker.start().ok());
  twoServices(rig);
  const auto before = rig.store.changes.size();
  rig.time.advance(5s);
  const SystemTime stopped_at = rig.time.now();
  rig.deregister("a1");

  const auto changes = rig.changesSince(before);
  REQUIRE(changes.size() == 2);
  for (const auto& t : changes) {
    CHECK(t.to == HealthStatus::Unknown);
    CHECK(t.cause == Cause::Stopped);
    CHECK(t.reason == state::stoppedReason(stopped_at));
    CHECK(t.at == stopped_at);
    CHECK(t.agent == "a1");
  }
  CHECK(rig.store.open["web"].status == HealthStatus::Unknown);  // uptime: unknown, not down
  const auto web = rig.state.service("web");
  REQUIRE(web.has_value());
  CHECK(web->status == HealthStatus::Unknown);
  REQUIRE(web->checks.size() == 1);
  CHECK(web->checks[0].stopped);
  CHECK(web->checks[0].message.rfind("agent stopped at ", 0) == 0);
  CHECK(web->checks[0].raw_status == HealthStatus::Down);  // the last real result is kept
  // Sweeps keep it as it is: a stopped agent is never "unreachable".
  rig.time.advance(10min);
  rig.tracker.sweep();
  CHECK(rig.changesSince(before).size() == 2);
  CHECK(rig.state.unreachableAgents().empty());
}

TEST_CASE("a clean stop of a service that was unknown already is still recorded as a stop",
          "[hub][unit][lifecycle]") {
  Rig rig;
  REQUIRE(rig.tracker.start().ok());
  rig.registration("a1", {test::spec("home", "web")});
  rig.result("a1", "web", "home", HealthStatus::Unknown, 1);
  const auto before = rig.store.changes.size();
  rig.deregister("a1");
  const auto changes = rig.changesSince(before);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].from == HealthStatus::Unknown);
  CHECK(changes[0].to == HealthStatus::Unknown);
  CHECK(changes[0].cause == Cause::Stopped);  // the alert engine resolves incidents on it
}

TEST_CASE("an agent back within the restart grace resumes quietly, after it like a new start",
          "[hub][unit][lifecycle]") {
  Rig rig;
  REQUIRE(rig.tracker.start().ok());
  twoServices(rig);
  rig.deregister("a1");
  const auto stopped = rig.store.changes.size();

  SECTION("within the grace") {
    rig.time.advance(90s);
    rig.registration("a1", {test::spec("home", "web"), test::spec("port", "db", "tcp")}, "boot2");
    const auto changes = rig.changesSince(stopped);
    REQUIRE(changes.size() == 2);
    for (const auto& t : changes) {
      CHECK(t.cause == Cause::Resumed);
      CHECK(t.from == HealthStatus::Unknown);
    }
    CHECK(rig.state.service("web")->status == HealthStatus::Down);
    CHECK_FALSE(rig.state.stoppedAt("a1").has_value());
  }
  SECTION("after the grace") {
    rig.time.advance(3min);
    rig.registration("a1", {test::spec("home", "web"), test::spec("port", "db", "tcp")}, "boot2");
    const auto changes = rig.changesSince(stopped);
    REQUIRE(changes.size() == 2);
    for (const auto& t : changes) {
      CHECK(t.cause == Cause::Check);
    }
  }
}

TEST_CASE("a late deregistration from an earlier boot does not stop a restarted agent",
          "[hub][unit][lifecycle]") {
  Rig rig;
  REQUIRE(rig.tracker.start().ok());
  rig.registration("a1", {test::spec("home", "web")}, "boot2");
  rig.result("a1", "web", "home", HealthStatus::Healthy, 1, "boot2");
  const auto before = rig.store.changes.size();
  rig.deregister("a1", "boot1");
  CHECK(rig.changesSince(before).empty());
  CHECK(rig.state.service("web")->status == HealthStatus::Healthy);
}

TEST_CASE(
    "a registration that drops a check removes it, and a service left without checks leaves "
    "the view once",
    "[hub][unit][lifecycle]") {
  Rig rig;
  REQUIRE(rig.tracker.start().ok());
  rig.registration(
      "a1", {test::spec("home", "web"), test::spec("api", "web"), test::spec("port", "db", "tcp")});
  rig.result("a1", "web", "home", HealthStatus::Healthy, 1);
  rig.result("a1", "web", "api", HealthStatus::Down, 2);
  rig.result("a1", "db", "port", HealthStatus::Down, 3);
  const auto before = rig.store.changes.size();

  rig.registration("a1", {test::spec("home", "web")});  // reload: api and db are gone
  const auto web = rig.state.service("web");
  REQUIRE(web.has_value());
  CHECK(web->checks.size() == 1);
  CHECK(web->status == HealthStatus::Healthy);
  CHECK_FALSE(rig.state.service("db").has_value());

  const auto changes = rig.changesSince(before);
  REQUIRE(changes.size() == 2);
  const auto& db = changes[0].service == "db" ? changes[0] : changes[1];
  const auto& w = changes[0].service == "web" ? changes[0] : changes[1];
  CHECK(db.cause == Cause::Removed);
  CHECK(db.from == HealthStatus::Down);
  CHECK(db.to == HealthStatus::Unknown);
  CHECK(db.reason == status::kRemovedReason);
  CHECK(w.cause == Cause::Check);
  CHECK(w.to == HealthStatus::Healthy);

  // Nothing is recorded again for it, by registrations or sweeps.
  rig.registration("a1", {test::spec("home", "web")});
  rig.tracker.sweep();
  CHECK(rig.changesSince(before).size() == 2);

  // A hub restart does not record it again either.
  Rig again;
  again.store.open = rig.store.open;
  again.state.applyRegistration(test::registration("a1", {test::spec("home", "web")}));
  REQUIRE(again.tracker.start().ok());
  for (const auto& t : again.store.changes) {
    CHECK(t.service != "db");
  }
}

TEST_CASE("forgetting an agent takes it and its services out of the view and tells the replicas",
          "[hub][unit][lifecycle]") {
  Rig rig;
  REQUIRE(rig.tracker.start().ok());
  twoServices(rig);
  rig.registration("a2", {test::spec("home2", "web")});
  rig.result("a2", "web", "home2", HealthStatus::Healthy, 1);
  rig.deregister("a1");
  const auto before = rig.store.changes.size();

  auto done = rig.tracker.forget({"a1", "nobody"});
  REQUIRE(done.ok());
  CHECK(done.value() == std::vector<std::string>{"a1"});
  CHECK(rig.store.agents["a1"].forgotten);
  CHECK_FALSE(rig.state.service("db").has_value());
  const auto web = rig.state.service("web");  // a2 still checks it
  REQUIRE(web.has_value());
  CHECK(web->checks.size() == 1);
  CHECK(web->status == HealthStatus::Healthy);
  REQUIRE(rig.forgotten.size() == 1);
  CHECK(rig.forgotten[0] == std::vector<std::string>{"a1"});

  bool db_removed = false;
  for (const auto& t : rig.changesSince(before)) {
    if (t.service == "db") {
      db_removed = t.cause == Cause::Removed;
    }
  }
  CHECK(db_removed);
  // Forgetting it again does nothing.
  auto again = rig.tracker.forget({"a1"});
  REQUIRE(again.ok());
  CHECK(again->empty());
  CHECK(rig.forgotten.size() == 1);
}

TEST_CASE("the sweep retires agents stopped or unreachable for longer than forget_after",
          "[hub][unit][lifecycle]") {
  Rig rig;
  REQUIRE(rig.tracker.start().ok());
  twoServices(rig);
  rig.deregister("a1");
  rig.time.advance(7 * 24h - 1min);
  rig.tracker.sweep();
  CHECK(rig.state.service("web").has_value());
  rig.time.advance(2min);
  rig.tracker.sweep();
  CHECK_FALSE(rig.state.service("web").has_value());
  CHECK_FALSE(rig.state.service("db").has_value());
  CHECK(rig.store.agents["a1"].forgotten);
}

TEST_CASE("a hub restart keeps a stopped agent stopped without recording anything new",
          "[hub][unit][lifecycle]") {
  Rig rig;
  REQUIRE(rig.tracker.start().ok());
  twoServices(rig);
  rig.deregister("a1");

  Rig after;
  after.store.open = rig.store.open;
  after.store.agents = rig.store.agents;
  after.state.applyRegistration(
      test::registration("a1", {test::spec("home", "web"), test::spec("port", "db", "tcp")}));
  REQUIRE(after.tracker.start().ok());
  CHECK(after.store.changes.empty());
  CHECK(after.state.service("web")->status == HealthStatus::Unknown);
  CHECK(after.state.service("web")->checks[0].stopped);
  CHECK(after.state.stoppedAt("a1").has_value());
}

TEST_CASE("agents to retire and the restart grace are pure decisions on the agents table",
          "[hub][unit][lifecycle]") {
  const SystemTime now = test::at(1'900'000'000);
  std::vector<policy::AgentLiveness> agents(4);
  agents[0].agent_id = "stopped-long";
  agents[0].deregistered = true;
  agents[0].deregistered_at = now - 8 * 24h;
  agents[1].agent_id = "stopped-short";
  agents[1].deregistered = true;
  agents[1].deregistered_at = now - 1h;
  agents[2].agent_id = "lost-long";
  agents[2].unreachable = true;
  agents[2].unreachable_since = now - 8 * 24h;
  agents[3].agent_id = "gone";
  agents[3].forgotten = true;
  agents[3].deregistered = true;
  agents[3].deregistered_at = now - 30 * 24h;
  CHECK(policy::agentsToForget(agents, now, 7 * 24h) ==
        std::vector<std::string>{"lost-long", "stopped-long"});
  CHECK(policy::agentsToForget(agents, now, 0ms).empty());  // 0 = never
  CHECK(policy::backWithinGrace(now - 2min, now, 2min));
  CHECK_FALSE(policy::backWithinGrace(now - 2min - 1ms, now, 2min));
  // A retired agent is never found overdue.
  const auto plan = policy::planSweep(agents, {}, now, policy::LivenessSettings{});
  for (const auto& a : plan.newly_unreachable) {
    CHECK(a != "gone");
  }
}

// ---- the alert policy ----

namespace {

using alerts::Change;
using alerts::Circumstances;
using alerts::Incident;
using alerts::Plan;

const SystemTime t0 = SystemTime{std::chrono::seconds{1'800'000'000}};

notify::AlertConfig alertConfig() {
  notify::AlertConfig c;
  c.service = "web";
  c.channels = {"ops", "oncall"};
  return c;
}

Change changeOf(HealthStatus from, HealthStatus to, SystemTime at, Cause cause,
                std::string reason = "http 503") {
  Change c;
  c.id = 1;
  c.service = "web";
  c.from = from;
  c.to = to;
  c.at = at;
  c.reason = std::move(reason);
  c.agent = "node-1";
  c.check = "home";
  c.cause = cause;
  return c;
}

// An open, notified incident: web down, told to "ops".
Incident downIncident(const notify::AlertConfig& cfg) {
  Circumstances cx{cfg, {}, "", t0};
  auto p = alerts::onChange(
      std::nullopt, changeOf(HealthStatus::Healthy, HealthStatus::Down, t0, Cause::Check), cx);
  REQUIRE(p.incident.has_value());
  p.incident->id = 7;
  return *p.incident;
}

std::vector<std::string> labels(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& o : p.notify) {
    out.push_back(o.channel + "/" + o.label);
  }
  return out;
}

}  // namespace

TEST_CASE(
    "a clean stop resolves the incident at once and owes 'monitoring stopped' after the "
    "grace, never 'recovered'",
    "[hub][unit][lifecycle][alerts]") {
  const auto cfg = alertConfig();
  const Incident open = downIncident(cfg);
  const auto reason = state::stoppedReason(t0 + 60s);
  Circumstances cx{cfg, {}, "", t0 + 60s};
  auto stop = alerts::onChange(
      open, changeOf(HealthStatus::Down, HealthStatus::Unknown, t0 + 60s, Cause::Stopped, reason),
      cx);
  REQUIRE(stop.incident.has_value());
  CHECK_FALSE(stop.incident->open);
  CHECK(stop.incident->resolved_at == t0 + 60s);
  CHECK(stop.incident->reason == reason);
  CHECK(stop.notify.empty());  // nothing yet: the agent may be restarting
  REQUIRE(stop.incident->stop_notice_due.has_value());
  CHECK(*stop.incident->stop_notice_due == t0 + 60s + 2min);

  SECTION("the grace passes with the agent still stopped") {
    std::set<std::string> quiet;
    Circumstances later{cfg, {}, "", t0 + 3min};
    later.quiet_stop_channels = &quiet;
    auto due = alerts::onStopDue(*stop.incident, later, true);
    REQUIRE(due.notify.size() == 1);
    CHECK(due.notify[0].channel == "ops");
    CHECK(due.notify[0].summary.find("monitoring of web stopped: agent stopped at") !=
          std::string::npos);
    CHECK(due.notify[0].summary.find("recovered") == std::string::npos);
    CHECK(due.notify[0].to == HealthStatus::Unknown);
    REQUIRE(due.incident.has_value());
    CHECK_FALSE(due.incident->stop_notice_due.has_value());
  }
  SECTION("a channel with stop_notices off is skipped") {
    std::set<std::string> quiet{"ops"};
    Circumstances later{cfg, {}, "", t0 + 3min};
    later.quiet_stop_channels = &quiet;
    auto due = alerts::onStopDue(*stop.incident, later, true);
    CHECK(due.notify.empty());
    CHECK_FALSE(due.incident->stop_notice_due.has_value());
  }
  SECTION("the agent is back by then: no notice") {
    auto due = alerts::onStopDue(*stop.incident, {cfg, {}, "", t0 + 3min}, false);
    CHECK(due.notify.empty());
    CHECK_FALSE(due.incident->stop_notice_due.has_value());
  }
  SECTION("back within the grace and still down: the incident goes on without a notice") {
    auto back = alerts::onChange(
        stop.incident,
        changeOf(HealthStatus::Unknown, HealthStatus::Down, t0 + 90s, Cause::Resumed),
        {cfg, {}, "", t0 + 90s});
    REQUIRE(back.incident.has_value());
    CHECK(back.incident->open);
    CHECK(back.incident->id == 7);
    CHECK(back.incident->status == HealthStatus::Down);
    CHECK_FALSE(back.incident->stop_notice_due.has_value());
    CHECK(back.notify.empty());
  }
  SECTION("back within the grace and degraded now: the change is notified") {
    auto back = alerts::onChange(
        stop.incident,
        changeOf(HealthStatus::Unknown, HealthStatus::Degraded, t0 + 90s, Cause::Resumed),
        {cfg, {}, "", t0 + 90s});
    REQUIRE(back.incident.has_value());
    CHECK(back.incident->open);
    CHECK(labels(back) == std::vector<std::string>{"ops/3:down->degraded"});
  }
  SECTION("back within the grace and healthy: a recovery, as without the stop") {
    auto back = alerts::onChange(
        stop.incident,
        changeOf(HealthStatus::Unknown, HealthStatus::Healthy, t0 + 90s, Cause::Resumed),
        {cfg, {}, "", t0 + 90s});
    REQUIRE(back.incident.has_value());
    CHECK_FALSE(back.incident->open);
    CHECK(back.incident->status == HealthStatus::Healthy);
    CHECK(labels(back) == std::vector<std::string>{"ops/recovered-3"});
  }
}

TEST_CASE("a stop of a service with no open incident, or with one never notified, sends nothing",
          "[hub][unit][lifecycle][alerts]") {
  const auto cfg = alertConfig();
  auto none = alerts::onChange(
      std::nullopt,
      changeOf(HealthStatus::Healthy, HealthStatus::Unknown, t0, Cause::Stopped, "agent stopped"),
      {cfg, {}, "", t0});
  CHECK_FALSE(none.incident.has_value());
  CHECK(none.notify.empty());

  Incident held = downIncident(cfg);
  held.notified = false;
  held.level = -1;
  auto stop = alerts::onChange(
      held, changeOf(HealthStatus::Down, HealthStatus::Unknown, t0, Cause::Stopped, "stopped"),
      {cfg, {}, "", t0});
  REQUIRE(stop.incident.has_value());
  CHECK_FALSE(stop.incident->open);
  CHECK_FALSE(stop.incident->stop_notice_due.has_value());
}

TEST_CASE("a service that left the view resolves its incident with 'monitoring stopped' at once",
          "[hub][unit][lifecycle][alerts]") {
  const auto cfg = alertConfig();
  const Incident open = downIncident(cfg);
  std::set<std::string> quiet{"oncall"};
  Circumstances cx{cfg, {}, "", t0 + 60s};
  cx.quiet_stop_channels = &quiet;
  auto removed = alerts::onChange(open,
                                  changeOf(HealthStatus::Down, HealthStatus::Unknown, t0 + 60s,
                                           Cause::Removed, status::kRemovedReason),
                                  cx);
  REQUIRE(removed.incident.has_value());
  CHECK_FALSE(removed.incident->open);
  CHECK_FALSE(removed.incident->stop_notice_due.has_value());
  REQUIRE(removed.notify.size() == 1);
  CHECK(removed.notify[0].summary ==
        std::string("monitoring of web stopped: ") + status::kRemovedReason + " (was down)");
}

// ---- replicas ----

TEST_CASE("a state update carries stops and retired agents to the other replicas",
          "[hub][unit][lifecycle][replica]") {
  replica::StateUpdate u;
  u.origin = "r1";
  u.seq = 1;
  u.stopped["a1"] = test::at(1'800'000'123);
  u.forgotten = {"a2"};
  auto back = replica::decodeStateUpdate(replica::encodeStateUpdate(u));
  REQUIRE(back.ok());
  CHECK(back->stopped == u.stopped);
  CHECK(back->forgotten == u.forgotten);

  state::HubState state;
  state.applyRegistration(test::registration("a1", {test::spec("home", "web")}));
  state.applyRegistration(test::registration("a2", {test::spec("port", "db")}));
  metrics::Registry registry;
  replica::StateSync sync("r2", state, {}, registry,
                          log::makeLogger("test", log::LogOptions{"off", log::Format::Text}));
  REQUIRE(sync.apply(back.value()));
  CHECK(state.stoppedAt("a1") == test::at(1'800'000'123));
  CHECK(state.service("web")->status == HealthStatus::Unknown);
  CHECK(state.service("web")->checks[0].stopped);
  CHECK_FALSE(state.service("db").has_value());

  // The agent registering again (through another replica) is no longer stopped here.
  replica::StateUpdate reg;
  reg.origin = "r1";
  reg.seq = 2;
  reg.registrations.push_back(test::registration("a1", {test::spec("home", "web")}));
  REQUIRE(sync.apply(reg));
  CHECK_FALSE(state.stoppedAt("a1").has_value());
}

// ---- the API ----

TEST_CASE(
    "DELETE /api/v1/agents/{id} retires a stopped agent, refuses an online one and names "
    "what is wrong",
    "[hub][unit][lifecycle][api]") {
  ManualTime time;
  test::FakeReadStore reads;
  store::AgentRecord stopped;
  stopped.agent_id = "old-node";
  stopped.deregistered_at = time.now();
  store::AgentRecord online;
  online.agent_id = "live-node";
  reads.agent_records = {stopped, online};
  std::vector<std::string> asked;
  api::AgentsHandler handler(reads, time, [&](const std::vector<std::string>& ids) {
    asked.insert(asked.end(), ids.begin(), ids.end());
    return Result<std::vector<std::string>>(ids);
  });
  auto call = [&](const std::string& id) {
    api::ApiRequest req;
    req.method = "DELETE";
    req.path_params["id"] = id;
    return handler.forget(req);
  };
  const auto ok = call("old-node");
  CHECK(ok.status == 200);
  CHECK(ok.body["agent_id"] == "old-node");
  CHECK(ok.body["forgotten"] == true);
  CHECK(asked == std::vector<std::string>{"old-node"});

  const auto busy = call("live-node");
  CHECK(busy.status == 409);
  CHECK(busy.body.dump().find("online") != std::string::npos);
  CHECK(call("nobody").status == 404);
  CHECK(call("bad id!").status == 400);
  CHECK(asked.size() == 1);

  reads.unavailable = true;
  CHECK(call("old-node").status == 503);
}

TEST_CASE("a new boot's undecided first results keep the status the previous boot decided",
          "[hub][unit][lifecycle]") {
  state::HubState state;
  auto down = test::result("a1", "boot1", 5, "web", "home", HealthStatus::Down);
  REQUIRE(state.applyResult(down));
  // boot2's first run failed once (retries not reached): status unknown, raw down.
  auto soft =
      test::result("a1", "boot2", 1, "web", "home", HealthStatus::Unknown, test::at(1'900'000'000));
  soft.raw_status = HealthStatus::Down;
  CHECK_FALSE(state.applyResult(soft));
  CHECK(state.service("web")->status == HealthStatus::Down);
  // An inconclusive probe (raw unknown) is news, and so is boot2's decision.
  auto inconclusive = soft;
  inconclusive.seq = 2;
  inconclusive.raw_status = HealthStatus::Unknown;
  auto decided = soft;
  decided.seq = 3;
  decided.status = HealthStatus::Healthy;
  decided.raw_status = HealthStatus::Healthy;
  SECTION("inconclusive") {
    CHECK(state.applyResult(inconclusive));
    CHECK(state.service("web")->status == HealthStatus::Unknown);
  }
  SECTION("decided") {
    CHECK(state.applyResult(decided));
    CHECK(state.service("web")->status == HealthStatus::Healthy);
  }
}

TEST_CASE("a late result of a check the registration dropped does not bring it back",
          "[hub][unit][lifecycle]") {
  state::HubState state;
  auto reg = test::registration("a1", {test::spec("home", "web"), test::spec("port", "db")});
  state.applyRegistration(reg);
  reg.checks.pop_back();  // reload: "port" is gone
  state.applyRegistration(reg);
  CHECK_FALSE(state.applyResult(test::result("a1", "boot", 9, "db", "port")));
  CHECK_FALSE(state.service("db").has_value());
  // A new boot's result (its registration not seen yet) is news as before.
  CHECK(state.applyResult(test::result("a1", "boot2", 1, "db", "port")));
  CHECK(state.service("db").has_value());
}

TEST_CASE(
    "a revoked agent is never overdue, leaves the unreachable set and retires after "
    "forget_after from its revocation",
    "[hub][unit][lifecycle]") {
  using namespace std::chrono_literals;
  const SystemTime now = vitals::test::at(1'800'000'000);
  std::vector<policy::AgentLiveness> agents(1);
  agents[0].agent_id = "cut";
  agents[0].last_seen = now - 1h;  // long past any keepalive deadline
  agents[0].unreachable = true;    // marked before the revocation was known
  agents[0].revoked = true;
  agents[0].revoked_at = now - 8 * 24h;
  CHECK(policy::overdueAgents(agents, now, policy::LivenessSettings{}).empty());
  const auto plan = policy::planSweep(agents, {"cut"}, now, policy::LivenessSettings{});
  CHECK(plan.newly_unreachable.empty());
  CHECK(plan.returned == std::vector<std::string>{"cut"});
  CHECK(plan.db_clear == std::vector<std::string>{"cut"});
  CHECK(policy::agentsToForget(agents, now, 7 * 24h) == std::vector<std::string>{"cut"});
  CHECK(policy::agentsToForget(agents, now, 9 * 24h).empty());
}
