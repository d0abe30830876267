// The repair engine against the in-memory RepairStore and a recording AgentCommands: cooldown,
// one run per (agent, action) whoever asks, approvals, the global rate limit and dry runs. No
// worker thread and no sleeping: runPending() does the worker's due work, ManualTime moves time.
#include <spdlog/logger.h>
#include <catch2/catch.hpp>

#include "common/metrics/metrics.hpp"
#include "common/time/manual_time.hpp"
#include "hub/repair/repair_engine.hpp"
#include "tests/unit/hub/fakes/fake_agent_commands.hpp"
#include "tests/unit/hub/fakes/fake_repair_store.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace std::chrono_literals;
using test::FakeRepairDb;
using test::FakeRepairStore;

namespace {

repair::GuardSettings guardSettings(int rate_limit = 10) {
  repair::GuardSettings g;
  g.rate_limit = rate_limit;
  g.rate_window = 1h;
  g.approval_expiry = 30min;
  g.notify_channels = {"ops"};
  return g;
}

repair::EngineSettings engineSettings() {
  repair::EngineSettings s;
  s.decider.rate_limit = 100;  // the store's guard is the limit under test
  s.decider.rate_window = 1h;
  s.command_timeout = 10s;
  s.tick = 1s;
  return s;
}

struct Rig {
  explicit Rig(int rate_limit = 10) : db(time, guardSettings(rate_limit)) {
    db.addAgent("a1", "web", {"restart-web"});
  }
  ManualTime time;
  state::HubState state;
  metrics::Registry registry;
  std::shared_ptr<spdlog::logger> logger = std::make_shared<spdlog::logger>("null");
  FakeRepairDb db;
  FakeRepairStore api{db};  // an API thread's store
  test::FakeAgentCommands agents;
  int opened = 0;
  repair::RepairEngine engine{
      state,
      {},
      [this]() -> Result<std::unique_ptr<repair::RepairStore>> {
        ++opened;
        if (!db.usable) {
          return Error{"db.unavailable", "fake database down", {}};
        }
        return std::unique_ptr<repair::RepairStore>(std::make_unique<FakeRepairStore>(db));
      },
      agents,
      time,
      registry,
      logger,
      engineSettings()};

  // web's policy: automatic repairs on, restart-web for any failure, no verification.
  repair::RepairPolicy& policy() {
    auto& p = db.policies["web"];
    if (p.service.empty()) {
      p = repair::defaultPolicy("web", false);
      p.enabled = true;
      p.actions[repair::FailureClass::Error] = "restart-web";
      p.cooldown = 5min;
      p.verify_after = 0ms;
    }
    return p;
  }

  policy::Transition transition(HealthStatus to) const {
    policy::Transition t;
    t.service = "web";
    t.from = to == HealthStatus::Healthy ? HealthStatus::Down : HealthStatus::Healthy;
    t.to = to;
    t.at = time.now();
    t.agent = "a1";
    t.check = "http";
    return t;
  }

  repair::ActionAsk eventAsk(std::chrono::milliseconds cooldown) const {
    repair::ActionAsk a;
    a.trigger = repair::Trigger::Event;
    a.service = "web";
    a.agent = "a1";
    a.action = "restart-web";
    a.requested_by = "key:2";
    a.reason = "inbound event";
    a.cooldown = cooldown;
    return a;
  }

  std::int64_t restartPending() {
    auto o = engine.restart(api, "web", "", false, "key:1");
    REQUIRE(o.ok());
    REQUIRE(o->http_status == 202);
    REQUIRE(o->repair.has_value());
    REQUIRE(o->repair->status == "pending");
    return o->repair->id;
  }
};

}  // namespace

TEST_CASE("an automatic repair runs once and not again within its cooldown, then again after it",
          "[hub][unit][repair]") {
  Rig rig;
  rig.policy();
  rig.engine.onTransitions({rig.transition(HealthStatus::Down)});
  rig.engine.runPending();
  CHECK(rig.agents.runs() == 1);
  CHECK(rig.db.withStatus("succeeded").size() == 1);
  CHECK(rig.db.audited("repair.execute") == 1);
  CHECK(rig.db.audited("repair.finish") == 1);

  // Down again two minutes later (a new incident): held back by the cooldown.
  rig.time.advance(1min);
  rig.engine.onTransitions({rig.transition(HealthStatus::Healthy)});
  rig.time.advance(1min);
  rig.engine.onTransitions({rig.transition(HealthStatus::Down)});
  rig.engine.runPending();
  CHECK(rig.agents.runs() == 1);
  const auto skipped = rig.db.withStatus("skipped");
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].reasons.back().find("cooldown") != std::string::npos);

  // After the cooldown the next failure is repaired again.
  rig.time.advance(5min);
  rig.engine.onTransitions({rig.transition(HealthStatus::Healthy)});
  rig.engine.onTransitions({rig.transition(HealthStatus::Down)});
  rig.engine.runPending();
  CHECK(rig.agents.runs() == 2);
}

TEST_CASE(
    "a quick restart and an inbound event for the same agent and action within the "
    "cooldown run once",
    "[hub][unit][repair]") {
  Rig rig;
  auto started = rig.engine.restart(rig.api, "web", "", false, "key:1");
  REQUIRE(started.ok());
  CHECK(started->http_status == 202);
  rig.engine.runPending();
  CHECK(rig.agents.runs() == 1);

  rig.time.advance(10s);
  auto event = rig.engine.runAction(rig.api, rig.eventAsk(1h));
  REQUIRE(event.ok());
  CHECK(event->kind == repair::ActionRun::Kind::Refused);
  CHECK(event->reason.find("cooldown") != std::string::npos);
  rig.engine.runPending();
  CHECK(rig.agents.runs() == 1);
  CHECK(rig.db.withStatus("succeeded").size() == 1);
  CHECK(rig.db.withStatus("skipped").size() == 1);
}

TEST_CASE(
    "an inbound event's run holds back an automatic repair of the same action within the "
    "cooldown",
    "[hub][unit][repair]") {
  Rig rig;
  rig.policy();
  auto event = rig.engine.runAction(rig.api, rig.eventAsk(1min));
  REQUIRE(event.ok());
  CHECK(event->kind == repair::ActionRun::Kind::Ran);
  REQUIRE(event->reply.has_value());
  CHECK(event->reply->outcome == "ok");
  CHECK(rig.agents.runs() == 1);

  // The policy's cooldown (5 minutes) counts from the event's start.
  rig.time.advance(2min);
  rig.engine.onTransitions({rig.transition(HealthStatus::Down)});
  rig.engine.runPending();
  CHECK(rig.agents.runs() == 1);
  CHECK(rig.db.withStatus("skipped").size() == 1);
}

TEST_CASE("the store's guard refuses a second start that passed the decider on stale history",
          "[hub][unit][repair]") {
  // Another hub started the action between this hub's history read and its start: the guard,
  // not the decider, is what holds it back.
  Rig rig;
  FakeRepairStore other_hub{rig.db};
  repair::NewRepair n;
  n.service = "web";
  n.agent = "a1";
  n.action = "restart-web";
  n.requested_by = "policy";
  n.cooldown = 5min;
  n.verdict = repair::Verdict::Execute;
  auto first = other_hub.startNew(n);
  REQUIRE(first.ok());
  CHECK(first->result == repair::Start::Result::Started);
  auto second = rig.api.startNew(n);
  REQUIRE(second.ok());
  CHECK(second->result == repair::Start::Result::Refused);
  CHECK(second->reason.find("cooldown (database guard)") != std::string::npos);
  auto row = rig.api.get(second->repair_id);
  REQUIRE(row.ok());
  REQUIRE(row->has_value());
  CHECK((*row)->status == "skipped");
}

TEST_CASE(
    "a repair that needs approval waits, runs once when approved, and a second approval "
    "is refused",
    "[hub][unit][repair]") {
  Rig rig;
  rig.policy().require_approval = true;
  const auto id = rig.restartPending();
  rig.engine.runPending();
  CHECK(rig.agents.runs() == 0);
  REQUIRE(rig.db.notices.size() == 1);
  CHECK(rig.db.notices[0].event == "repair-approval-requested");

  auto approved = rig.engine.decideApproval(rig.api, id, true, "key:9");
  REQUIRE(approved.ok());
  CHECK(approved->http_status == 202);
  CHECK(approved->message == "approved and started");
  rig.engine.runPending();
  CHECK(rig.agents.runs() == 1);

  auto again = rig.engine.decideApproval(rig.api, id, true, "key:8");
  REQUIRE(again.ok());
  CHECK(again->http_status == 409);
  CHECK(again->message == "not pending: the repair is succeeded");
  rig.time.advance(1min);
  rig.engine.runPending();
  CHECK(rig.agents.runs() == 1);
  CHECK(rig.db.audited("repair.approve") == 1);
}

TEST_CASE("a rejected repair never runs", "[hub][unit][repair]") {
  Rig rig;
  rig.policy().require_approval = true;
  const auto id = rig.restartPending();
  auto rejected = rig.engine.decideApproval(rig.api, id, false, "key:9");
  REQUIRE(rejected.ok());
  CHECK(rejected->http_status == 200);
  CHECK(rejected->message == "rejected");
  auto late = rig.engine.decideApproval(rig.api, id, true, "key:9");
  REQUIRE(late.ok());
  CHECK(late->http_status == 409);
  rig.time.advance(1h);
  rig.engine.runPending();
  CHECK(rig.agents.runs() == 0);
  CHECK(rig.db.withStatus("rejected").size() == 1);
}

TEST_CASE("an approval that expired never runs and is closed by the worker with a notice",
          "[hub][unit][repair]") {
  Rig rig;
  rig.policy().require_approval = true;
  const auto id = rig.restartPending();
  rig.time.advance(30min + 1s);
  auto late = rig.engine.decideApproval(rig.api, id, true, "key:9");
  REQUIRE(late.ok());
  CHECK(late->http_status == 409);
  CHECK(late->message == "the approval expired");
  rig.engine.runPending();
  CHECK(rig.agents.runs() == 0);
  CHECK(rig.db.withStatus("expired").size() == 1);
  REQUIRE(rig.db.notices.size() == 2);
  CHECK(rig.db.notices[1].event == "repair-approval-expired");
}

TEST_CASE("the global rate limit holds back executions beyond it until the window moves on",
          "[hub][unit][repair]") {
  Rig rig(2);
  for (const std::string s : {"s1", "s2", "s3"}) {
    rig.db.addAgent("a1", s, {"restart-s1", "restart-s2", "restart-s3"});
  }
  std::vector<int> statuses;
  for (const std::string s : {"s1", "s2", "s3"}) {
    auto o = rig.engine.restart(rig.api, s, "", false, "key:1");
    REQUIRE(o.ok());
    statuses.push_back(o->http_status);
    if (o->http_status == 409) {
      CHECK(o->message.find("global rate limit") != std::string::npos);
    }
  }
  CHECK(statuses == std::vector<int>{202, 202, 409});
  rig.engine.runPending();
  CHECK(rig.agents.runs() == 2);

  rig.time.advance(1h + 1s);
  auto later = rig.engine.restart(rig.api, "s3", "", false, "key:1");
  REQUIRE(later.ok());
  CHECK(later->http_status == 202);
  rig.engine.runPending();
  CHECK(rig.agents.runs() == 3);
}

TEST_CASE("a dry run is recorded with what the agent would run, and nothing runs",
          "[hub][unit][repair]") {
  Rig rig;
  rig.agents.reply.output = "would run: systemctl restart web";
  auto o = rig.engine.restart(rig.api, "web", "", true, "key:1");
  REQUIRE(o.ok());
  CHECK(o->http_status == 200);
  REQUIRE(o->repair.has_value());
  CHECK(o->repair->status == "dry-run");
  CHECK(o->repair->outcome == "dry-run");
  CHECK(o->repair->output == "would run: systemctl restart web");

  // A dry-run policy for automatic repairs: recorded, asked what would run, nothing runs.
  rig.policy().dry_run = true;
  rig.engine.onTransitions({rig.transition(HealthStatus::Down)});
  rig.engine.runPending();
  CHECK(rig.agents.runs() == 0);
  CHECK(rig.agents.dryRuns() == 2);
  CHECK(rig.db.withStatus("dry-run").size() == 2);
  CHECK(rig.db.audited("repair.execute") == 0);
}

TEST_CASE("the worker considers no transition while its store is unavailable",
          "[hub][unit][repair]") {
  Rig rig;
  rig.policy();
  rig.db.usable = false;
  rig.engine.onTransitions({rig.transition(HealthStatus::Down)});
  rig.engine.runPending();
  CHECK(rig.agents.runs() == 0);
  CHECK(rig.db.rows.empty());
  rig.db.usable = true;
  rig.time.advance(1min);
  rig.engine.onTransitions({rig.transition(HealthStatus::Down)});
  rig.engine.runPending();
  CHECK(rig.agents.runs() == 1);
}
