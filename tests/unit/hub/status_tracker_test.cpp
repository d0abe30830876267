// StatusTracker and StalenessSweeper on ManualTime with a fake store: transitions recorded once,
// published to sinks, retried after a failed write; unreachable agents grouped.
#include <catch2/catch.hpp>

#include <algorithm>

#include "common/log/log.hpp"
#include "common/time/manual_time.hpp"
#include "hub/status/bus_transition_sink.hpp"
#include "hub/status/staleness_sweeper.hpp"
#include "hub/status/status_change_codec.hpp"
#include "hub/status/status_tracker.hpp"
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

struct Rig {
  ManualTime time;
  state::HubState state;
  test::FakeStatusStore store;
  metrics::Registry registry;
  RecordingSink sink;
  status::StatusTracker tracker{state,
                                store,
                                time,
                                registry,
                                status::TrackerSettings{policy::LivenessSettings{}, 400, {}},
                                log::makeLogger("test", log::LogOptions{"off", log::Format::Text})};
  Rig() { tracker.addSink(sink); }

  // One committed batch holding one result (and a heartbeat-less registration first time).
  void result(const std::string& agent, const std::string& service, HealthStatus status,
              std::uint64_t seq, std::string message = "m") {
    auto r = test::result(agent, "boot", seq, service, "http", status, time.now());
    r.message = std::move(message);
    store.agents[agent].agent_id = agent;
    store.agents[agent].last_seen = time.now();
    store.agents[agent].heartbeat_interval = 2000ms;
    store::IngestBatch batch;
    batch.received_at = time.now();
    batch.results.push_back(r);
    state.applyResult(r);
    tracker.onCommitted(batch);
  }
  double metric(const std::string& name) {
    const auto text = registry.render();
    const auto pos = text.find("\n" + name + " ");
    return pos == std::string::npos ? -1 : std::stod(text.substr(pos + name.size() + 2));
  }
};

}  // namespace

TEST_CASE("a check flip is recorded once, opens and closes uptime windows and reaches the sinks",
          "[hub][unit][status]") {
  Rig rig;
  REQUIRE(rig.tracker.start().ok());
  rig.result("a1", "web", HealthStatus::Healthy, 1);
  REQUIRE(rig.store.changes.size() == 1);
  CHECK(rig.store.changes[0].first);
  rig.time.advance(10s);
  rig.result("a1", "web", HealthStatus::Healthy, 2);
  CHECK(rig.store.changes.size() == 1);  // no change, nothing written
  rig.result("a1", "web", HealthStatus::Down, 3, "connection refused");
  REQUIRE(rig.store.changes.size() == 2);
  const auto& t = rig.store.changes[1];
  CHECK(t.from == HealthStatus::Healthy);
  CHECK(t.to == HealthStatus::Down);
  CHECK(t.at == rig.time.now());  // hub clock
  CHECK(t.reason == "connection refused");
  CHECK(t.agent == "a1");
  CHECK(t.check == "http");
  CHECK(t.cause == Cause::Check);
  REQUIRE(rig.store.closed_windows["web"].size() == 1);
  CHECK(rig.store.closed_windows["web"][0].status == HealthStatus::Healthy);
  CHECK(rig.store.open["web"].status == HealthStatus::Down);
  CHECK(rig.sink.seen.size() == 2);
  CHECK(rig.metric("vitals_status_transitions_total") == 2);
}

TEST_CASE("a failed write is retried by the next sweep and reaches the sinks only once written",
          "[hub][unit][status]") {
  Rig rig;
  REQUIRE(rig.tracker.start().ok());
  rig.result("a1", "web", HealthStatus::Healthy, 1);
  rig.store.fail_records = 1;
  rig.result("a1", "web", HealthStatus::Down, 2);
  CHECK(rig.tracker.pendingTransitions() == 1);
  CHECK(rig.sink.seen.size() == 1);
  CHECK(rig.metric("vitals_status_record_errors_total") == 1);
  rig.tracker.sweep();
  CHECK(rig.tracker.pendingTransitions() == 0);
  REQUIRE(rig.store.changes.size() == 2);
  CHECK(rig.store.changes[1].to == HealthStatus::Down);
  CHECK(rig.sink.seen.size() == 2);
}

TEST_CASE(
    "the sweeper marks silent agents unreachable in one grouped event and their services "
    "unknown, and a returning agent restores them",
    "[hub][unit][status]") {
  Rig rig;
  REQUIRE(rig.tracker.start().ok());
  rig.result("a1", "web", HealthStatus::Healthy, 1);
  rig.result("a2", "db", HealthStatus::Down, 1);
  rig.result("a3", "cache", HealthStatus::Healthy, 1);
  status::StalenessSweeper sweeper(rig.time, rig.time, 5s, [&] { rig.tracker.sweep(); });
  sweeper.start();
  rig.store.changes.clear();

  // a3 keeps reporting within its interval; a1 and a2 go silent. Deadline: 2s x 3 = 6s after
  // last_seen.
  for (int i = 0; i < 4; ++i) {
    rig.time.advance(2500ms);
    rig.result("a3", "cache", HealthStatus::Healthy, 2 + static_cast<std::uint64_t>(i));
  }
  CHECK(sweeper.sweeps() == 2);
  CHECK(rig.state.isUnreachable("a1"));
  CHECK(rig.state.isUnreachable("a2"));
  CHECK_FALSE(rig.state.isUnreachable("a3"));
  REQUIRE(rig.store.changes.size() == 3);
  const auto& group = rig.store.changes[0];
  CHECK(group.service == policy::kAgentsGroupService);
  CHECK(group.cause == Cause::AgentsGroup);
  CHECK(group.reason == "2 agents unreachable: a1, a2");
  for (std::size_t i = 1; i < 3; ++i) {
    CHECK(rig.store.changes[i].to == HealthStatus::Unknown);
    CHECK(rig.store.changes[i].reason == "agent unreachable");
    CHECK(rig.store.changes[i].cause == Cause::Unreachable);
  }
  CHECK(rig.state.service("web")->status == HealthStatus::Unknown);
  CHECK(rig.state.service("web")->checks[0].message == "agent unreachable");
  CHECK(rig.store.agents["a1"].unreachable);
  CHECK(rig.metric("vitals_agents_unreachable_total") == 2);
  CHECK(rig.metric("vitals_agents_unreachable") == 2);

  // Another sweep: no new group, no new transitions.
  rig.time.advance(5s);
  CHECK(rig.store.changes.size() == 3);

  // a1 comes back healthy.
  rig.result("a1", "web", HealthStatus::Healthy, 9);
  CHECK_FALSE(rig.state.isUnreachable("a1"));
  CHECK_FALSE(rig.store.agents["a1"].unreachable);
  REQUIRE(rig.store.changes.size() == 4);
  CHECK(rig.store.changes[3].service == "web");
  CHECK(rig.store.changes[3].to == HealthStatus::Healthy);
  CHECK(rig.store.changes[3].cause == Cause::Reachable);
  CHECK(rig.metric("vitals_agents_unreachable") == 1);
}

TEST_CASE(
    "agents that vanish together raise one grouped event although their deadlines fall into "
    "different sweeps, and their services turn unknown in the sweep that finds each",
    "[hub][unit][status]") {
  Rig rig;
  REQUIRE(rig.tracker.start().ok());
  status::StalenessSweeper sweeper(rig.time, rig.time, 1s, [&] { rig.tracker.sweep(); });
  sweeper.start();
  // Heartbeat interval 2 s, deadline 6 s. a1, a2 and a3 last report at 0, 1 and 2 s and then
  // vanish together; a4 keeps reporting every second.
  rig.result("a1", "s1", HealthStatus::Healthy, 1);
  rig.time.advance(1s);
  rig.result("a2", "s2", HealthStatus::Healthy, 1);
  rig.result("a4", "s4", HealthStatus::Healthy, 1);
  rig.time.advance(1s);
  rig.result("a3", "s3", HealthStatus::Healthy, 1);
  rig.store.changes.clear();
  std::uint64_t seq = 2;
  auto groups = [&] {
    int n = 0;
    for (const auto& c : rig.store.changes) n += c.cause == Cause::AgentsGroup ? 1 : 0;
    return n;
  };
  // Sweep at 7 s: a1 is overdue, a2 and a3 have missed a heartbeat: a1's service is unknown,
  // without an event yet.
  for (int i = 0; i < 5; ++i) {
    rig.time.advance(1s);
    rig.result("a4", "s4", HealthStatus::Healthy, seq++);
  }
  CHECK(rig.state.isUnreachable("a1"));
  CHECK_FALSE(rig.state.isUnreachable("a2"));
  CHECK(rig.state.service("s1")->status == HealthStatus::Unknown);
  CHECK(groups() == 0);
  // 8 s: a2; 9 s: a3 and nobody else is silent: one event for all three.
  for (int i = 0; i < 2; ++i) {
    rig.time.advance(1s);
    rig.result("a4", "s4", HealthStatus::Healthy, seq++);
  }
  CHECK(rig.state.isUnreachable("a3"));
  CHECK_FALSE(rig.state.isUnreachable("a4"));
  REQUIRE(groups() == 1);
  const auto group = std::find_if(rig.store.changes.begin(), rig.store.changes.end(),
                                  [](const auto& c) { return c.cause == Cause::AgentsGroup; });
  CHECK(group->reason == "3 agents unreachable: a1, a2, a3");
  CHECK(group->agent == "a1, a2, a3");
  for (const auto& c : rig.store.changes) {
    if (c.cause != Cause::AgentsGroup) CHECK(c.cause == Cause::Unreachable);
  }
  // Later sweeps add nothing.
  for (int i = 0; i < 5; ++i) {
    rig.time.advance(1s);
    rig.result("a4", "s4", HealthStatus::Healthy, seq++);
  }
  CHECK(groups() == 1);
  CHECK(rig.metric("vitals_agents_unreachable_total") == 3);
}

TEST_CASE("agents are not blamed for silence the hub has not read yet while it catches up",
          "[hub][unit][status]") {
  Rig rig;
  REQUIRE(rig.tracker.start().ok());
  rig.result("a1", "s1", HealthStatus::Healthy, 1);
  rig.result("a2", "s2", HealthStatus::Healthy, 1);
  // 10 s later (deadline 6 s) the hub commits a2's heartbeat sent 9 s ago: it is 9 s behind the
  // stream, so a1's messages may be waiting there too.
  rig.time.advance(10s);
  Heartbeat hb;
  hb.agent_id = "a2";
  hb.boot_id = "boot";
  hb.sent_at = rig.time.now() - 9s;
  hb.interval = 2000ms;
  store::IngestBatch batch;
  batch.received_at = rig.time.now();
  batch.catalog.push_back(hb);
  rig.store.agents["a2"].last_seen = rig.time.now();
  rig.tracker.onCommitted(batch);
  rig.tracker.sweep();
  CHECK_FALSE(rig.state.isUnreachable("a1"));
  // Caught up (a heartbeat that waited 0 s): a1's silence is real now.
  rig.time.advance(1s);
  hb.sent_at = rig.time.now();
  batch.received_at = rig.time.now();
  batch.catalog = {hb};
  rig.store.agents["a2"].last_seen = rig.time.now();
  rig.tracker.onCommitted(batch);
  rig.tracker.sweep();
  CHECK(rig.state.isUnreachable("a1"));
  CHECK_FALSE(rig.state.isUnreachable("a2"));
}

TEST_CASE(
    "at start the tracker reconciles with the stored windows and finds agents that died "
    "while the hub was down one deadline later",
    "[hub][unit][status]") {
  Rig rig;
  // Before the restart: web was recorded healthy, and a1 was last seen long ago.
  rig.store.open["web"] = store::UptimeWindow{HealthStatus::Healthy, rig.time.now() - 1h, {}};
  rig.store.agents["a1"] = policy::AgentLiveness{
      "a1", rig.time.now() - 10min, 2000ms, false, false, {}, {}, false, false, {}};
  CheckSpec spec = test::spec("http", "web");
  auto last =
      test::result("a1", "boot", 5, "web", "http", HealthStatus::Down, rig.time.now() - 10min);
  rig.state.restore("a1", spec, last);

  REQUIRE(rig.tracker.start().ok());
  // The checks table said down while the window said healthy: recorded as a Reconcile change.
  REQUIRE(rig.store.changes.size() == 1);
  CHECK(rig.store.changes[0].cause == Cause::Reconcile);
  CHECK(rig.store.changes[0].to == HealthStatus::Down);
  CHECK_FALSE(rig.state.isUnreachable("a1"));  // grace: a full deadline from the start

  rig.time.advance(7s);
  rig.tracker.sweep();
  CHECK(rig.state.isUnreachable("a1"));
  CHECK(rig.store.open["web"].status == HealthStatus::Unknown);
}

TEST_CASE("clock skew is recorded once beyond the threshold and cleared when it is back",
          "[hub][unit][status]") {
  Rig rig;
  REQUIRE(rig.tracker.start().ok());
  auto beat = [&](std::chrono::milliseconds offset) {
    Heartbeat hb;
    hb.agent_id = "a1";
    hb.boot_id = "boot";
    hb.interval = 2000ms;
    hb.sent_at = rig.time.now() + offset;
    store::IngestBatch batch;
    batch.received_at = rig.time.now();
    batch.catalog.push_back(hb);
    rig.tracker.onCommitted(batch);
  };
  beat(5s);
  CHECK(rig.store.skews.count("a1") == 0);
  beat(45s);
  REQUIRE(rig.store.skews.count("a1") == 1);
  CHECK(rig.store.skews["a1"] == 45000ms);
  beat(100ms);
  CHECK_FALSE(rig.store.skews["a1"].has_value());
}

TEST_CASE("StatusChange messages go to hub.<hub_id>.health.<service> and decode back",
          "[hub][unit][status]") {
  metrics::Registry registry;
  std::vector<std::pair<std::string, std::string>> sent;
  status::BusTransitionSink sink(
      "hub-x",
      [&](const std::string& subject, std::string_view data) {
        sent.emplace_back(subject, std::string(data));
        return okStatus();
      },
      registry);
  policy::Transition t{"web",
                       HealthStatus::Healthy,
                       HealthStatus::Down,
                       test::at(1'800'000'000),
                       "refused",
                       "a1",
                       "http",
                       Cause::Check,
                       false};
  sink.onTransitions({t});
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].first == "hub.hub-x.health.web");
  auto decoded = status::decodeStatusChange(sent[0].second);
  REQUIRE(decoded.ok());
  CHECK(decoded->hub_id == "hub-x");
  CHECK(decoded->transition.service == "web");
  CHECK(decoded->transition.from == HealthStatus::Healthy);
  CHECK(decoded->transition.to == HealthStatus::Down);
  CHECK(decoded->transition.at == t.at);
  CHECK(decoded->transition.reason == "refused");
  CHECK(decoded->transition.agent == "a1");
  CHECK(decoded->transition.check == "http");
}

TEST_CASE("sweeps checkpoint the rollups once per hour and cut them at the uptime retention",
          "[hub][unit][status]") {
  Rig rig;
  REQUIRE(rig.tracker.start().ok());
  REQUIRE(rig.store.checkpoints.size() == 1);
  CHECK(rig.store.checkpoints[0] == policy::hourOf(rig.time.now()));
  CHECK(rig.store.last_drop_before == rig.time.now() - std::chrono::hours{24} * 400);
  rig.tracker.sweep();
  CHECK(rig.store.checkpoints.size() == 1);  // same hour
  rig.time.advance(1h);
  rig.tracker.sweep();
  REQUIRE(rig.store.checkpoints.size() == 2);
  CHECK(rig.store.checkpoints[1] == policy::hourOf(rig.time.now()));
}

TEST_CASE("a sweep that cannot read the agents counts the error and still retries transitions",
          "[hub][unit][status]") {
  Rig rig;
  REQUIRE(rig.tracker.start().ok());
  rig.result("a1", "web", HealthStatus::Healthy, 1);
  rig.store.fail_records = 1;
  rig.result("a1", "web", HealthStatus::Down, 2);
  rig.store.fail_liveness = true;
  rig.tracker.sweep();
  CHECK(rig.metric("vitals_status_sweep_errors_total") == 1);
  CHECK(rig.store.changes.back().to == HealthStatus::Down);
  CHECK(rig.tracker.pendingTransitions() == 0);
}
