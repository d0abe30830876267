// The pure repair decision: every guardrail rule on its own, on a ManualTime clock, plus the
// policy JSON the API accepts.
#include <catch2/catch.hpp>

#include "common/time/manual_time.hpp"
#include "hub/repair/repair_decider.hpp"
#include "hub/repair/repair_policy.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace vitals::hub::repair;
using namespace std::chrono_literals;

namespace {

RepairPolicy enabledPolicy() {
  RepairPolicy p = defaultPolicy("web", false);
  p.enabled = true;
  p.cooldown = 5min;
  p.max_attempts = 3;
  p.circuit_breaker = 3;
  return p;
}

RepairRequest downBy(FailureKind kind) {
  RepairRequest r;
  r.trigger = Trigger::Transition;
  r.service = "web";
  r.status = HealthStatus::Down;
  r.failure_kind = kind;
  r.agent = "node-1";
  r.agent_actions = {"restart-web", "rebuild-web"};
  r.incident = "web@1";
  return r;
}

struct Rig {
  ManualTime time;
  DeciderSettings settings;
  RepairDecider decider{time, settings};
  Rig() = default;
  explicit Rig(DeciderSettings s) : settings(s), decider(time, s) {}
};

bool mentions(const Decision& d, const std::string& text) {
  for (const auto& r : d.reasons) {
    if (r.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("repair: failure kinds map to actions (timeout/refused/crashed restart, others none)",
          "[hub][unit][repair]") {
  Rig rig;
  RepairPolicy p = enabledPolicy();
  struct Row {
    FailureKind kind;
    HealthStatus status;
    Verdict verdict;
    std::string action;
  };
  const auto row = GENERATE(values<Row>({
      {FailureKind::Timeout, HealthStatus::Down, Verdict::Execute, "restart-web"},
      {FailureKind::Refused, HealthStatus::Down, Verdict::Execute, "restart-web"},
      {FailureKind::Crashed, HealthStatus::Down, Verdict::Execute, "restart-web"},
      {FailureKind::Unexpected, HealthStatus::Down, Verdict::None, ""},
      {FailureKind::Error, HealthStatus::Down, Verdict::None, ""},
      {FailureKind::Timeout, HealthStatus::Degraded, Verdict::None, ""},
  }));
  auto r = downBy(row.kind);
  r.status = row.status;
  auto d = rig.decider.decide(&p, r, {});
  CHECK(d.verdict == row.verdict);
  CHECK(d.action == row.action);
}

TEST_CASE("repair: a crash runs rebuild-<service> when an agent offers it", "[hub][unit][repair]") {
  Rig rig;
  RepairPolicy p = defaultPolicy("web", true);
  p.enabled = true;
  auto d = rig.decider.decide(&p, downBy(FailureKind::Crashed), {});
  CHECK(d.verdict == Verdict::Execute);
  CHECK(d.action == "rebuild-web");
  REQUIRE(d.failure_class);
  CHECK(*d.failure_class == FailureClass::Crashed);
}

TEST_CASE("repair: no policy, a disabled policy, or a recovery decide nothing",
          "[hub][unit][repair]") {
  Rig rig;
  CHECK(rig.decider.decide(nullptr, downBy(FailureKind::Timeout), {}).verdict == Verdict::None);
  RepairPolicy off = enabledPolicy();
  off.enabled = false;
  auto d = rig.decider.decide(&off, downBy(FailureKind::Timeout), {});
  CHECK(d.verdict == Verdict::None);
  CHECK(mentions(d, "disabled"));
  RepairPolicy p = enabledPolicy();
  auto healthy = downBy(FailureKind::None);
  healthy.status = HealthStatus::Healthy;
  CHECK(rig.decider.decide(&p, healthy, {}).verdict == Verdict::None);
  auto unknown = downBy(FailureKind::Timeout);
  unknown.status = HealthStatus::Unknown;
  CHECK(rig.decider.decide(&p, unknown, {}).verdict == Verdict::None);
}

TEST_CASE("repair: an unreachable agent or a start-up reconcile never triggers a repair",
          "[hub][unit][repair]") {
  Rig rig;
  RepairPolicy p = enabledPolicy();
  for (auto cause : {policy::Cause::Unreachable, policy::Cause::Reconcile,
                     policy::Cause::AgentsGroup, policy::Cause::Reachable}) {
    auto r = downBy(FailureKind::Timeout);
    r.cause = cause;
    CHECK(rig.decider.decide(&p, r, {}).verdict == Verdict::None);
  }
}

TEST_CASE("repair: a service whose dependency is down is not repaired (recorded as skipped)",
          "[hub][unit][repair]") {
  Rig rig;
  RepairPolicy p = enabledPolicy();
  auto r = downBy(FailureKind::Timeout);
  r.dependency_down = "db";
  auto d = rig.decider.decide(&p, r, {});
  CHECK(d.verdict == Verdict::Skip);
  REQUIRE(d.failure_class);
  CHECK(*d.failure_class == FailureClass::DependencyDown);
  CHECK(mentions(d, "\"db\""));
}

TEST_CASE("repair: degraded is not repaired by default, but a policy may map it",
          "[hub][unit][repair]") {
  Rig rig;
  RepairPolicy p = enabledPolicy();
  auto r = downBy(FailureKind::None);
  r.status = HealthStatus::Degraded;
  CHECK(rig.decider.decide(&p, r, {}).verdict == Verdict::None);
  p.actions[FailureClass::Degraded] = "restart-web";
  CHECK(rig.decider.decide(&p, r, {}).verdict == Verdict::Execute);
}

TEST_CASE("repair: an action the agent does not offer is skipped", "[hub][unit][repair]") {
  Rig rig;
  RepairPolicy p = enabledPolicy();
  auto r = downBy(FailureKind::Timeout);
  r.agent_actions = {"restart-db"};
  auto d = rig.decider.decide(&p, r, {});
  CHECK(d.verdict == Verdict::Skip);
  CHECK(mentions(d, "does not offer"));
  r.agent = "";
  CHECK(rig.decider.decide(&p, r, {}).verdict == Verdict::Skip);
}

TEST_CASE("repair: cooldown per (agent, action) holds until it has passed", "[hub][unit][repair]") {
  Rig rig;
  RepairPolicy p = enabledPolicy();
  RepairHistory h;
  h.last_execution = rig.time.now();
  rig.time.advance(4min + 59s);
  auto d = rig.decider.decide(&p, downBy(FailureKind::Timeout), h);
  CHECK(d.verdict == Verdict::Skip);
  REQUIRE(d.retry_at);
  CHECK(*d.retry_at == *h.last_execution + 5min);
  CHECK(mentions(d, "cooldown"));
  rig.time.advance(1s);
  CHECK(rig.decider.decide(&p, downBy(FailureKind::Timeout), h).verdict == Verdict::Execute);
  p.cooldown = 0s;  // no cooldown: runs at once
  h.last_execution = rig.time.now();
  CHECK(rig.decider.decide(&p, downBy(FailureKind::Timeout), h).verdict == Verdict::Execute);
}

TEST_CASE("repair: max attempts per incident escalates once, then stays quiet",
          "[hub][unit][repair]") {
  Rig rig;
  RepairPolicy p = enabledPolicy();
  RepairHistory h;
  h.incident_attempts = 2;
  CHECK(rig.decider.decide(&p, downBy(FailureKind::Timeout), h).verdict == Verdict::Execute);
  h.incident_attempts = 3;
  auto d = rig.decider.decide(&p, downBy(FailureKind::Timeout), h);
  CHECK(d.verdict == Verdict::Escalate);
  CHECK(mentions(d, "max attempts"));
  h.incident_escalated = true;
  CHECK(rig.decider.decide(&p, downBy(FailureKind::Timeout), h).verdict == Verdict::None);
}

TEST_CASE("repair: the circuit breaker gives up after N consecutive failed repairs",
          "[hub][unit][repair]") {
  Rig rig;
  RepairPolicy p = enabledPolicy();
  RepairHistory h;
  h.consecutive_failures = 2;
  CHECK(rig.decider.decide(&p, downBy(FailureKind::Timeout), h).verdict == Verdict::Execute);
  h.consecutive_failures = 3;
  auto d = rig.decider.decide(&p, downBy(FailureKind::Timeout), h);
  CHECK(d.verdict == Verdict::Escalate);
  CHECK(mentions(d, "circuit breaker"));
  // A new incident with the breaker still open escalates again (a human must reset it).
  h.incident_escalated = false;
  CHECK(rig.decider.decide(&p, downBy(FailureKind::Timeout), h).verdict == Verdict::Escalate);
}

TEST_CASE("repair: the global rate limit holds every execution back", "[hub][unit][repair]") {
  Rig rig(DeciderSettings{2, 1h});
  RepairPolicy p = enabledPolicy();
  RepairHistory h;
  h.executions_in_window = 1;
  CHECK(rig.decider.decide(&p, downBy(FailureKind::Timeout), h).verdict == Verdict::Execute);
  h.executions_in_window = 2;
  auto d = rig.decider.decide(&p, downBy(FailureKind::Timeout), h);
  CHECK(d.verdict == Verdict::Skip);
  CHECK(mentions(d, "rate limit"));
  RepairRequest manual = downBy(FailureKind::None);
  manual.trigger = Trigger::Manual;
  manual.action = "restart-web";
  CHECK(rig.decider.decide(&p, manual, h).verdict == Verdict::Skip);
}

TEST_CASE("repair: dry run (policy or request) records and never executes", "[hub][unit][repair]") {
  Rig rig;
  RepairPolicy p = enabledPolicy();
  p.dry_run = true;
  CHECK(rig.decider.decide(&p, downBy(FailureKind::Timeout), {}).verdict == Verdict::DryRun);
  p.dry_run = false;
  auto r = downBy(FailureKind::Timeout);
  r.dry_run = true;
  CHECK(rig.decider.decide(&p, r, {}).verdict == Verdict::DryRun);
  // Dry run wins over approval: nothing would run, so nothing needs approving.
  p.require_approval = true;
  CHECK(rig.decider.decide(&p, r, {}).verdict == Verdict::DryRun);
}

TEST_CASE("repair: approval required waits as pending, one pending per incident",
          "[hub][unit][repair]") {
  Rig rig;
  RepairPolicy p = enabledPolicy();
  p.require_approval = true;
  CHECK(rig.decider.decide(&p, downBy(FailureKind::Timeout), {}).verdict ==
        Verdict::PendingApproval);
  RepairHistory h;
  h.incident_pending = true;
  CHECK(rig.decider.decide(&p, downBy(FailureKind::Timeout), h).verdict == Verdict::None);
}

TEST_CASE("repair: a quick action needs no enabled policy but keeps cooldown and approval",
          "[hub][unit][repair]") {
  Rig rig;
  RepairRequest r = downBy(FailureKind::None);
  r.trigger = Trigger::Manual;
  r.status = HealthStatus::Healthy;
  r.action = "restart-web";
  CHECK(rig.decider.decide(nullptr, r, {}).verdict == Verdict::Execute);
  RepairPolicy p = enabledPolicy();
  p.enabled = false;
  p.require_approval = true;
  CHECK(rig.decider.decide(&p, r, {}).verdict == Verdict::PendingApproval);
  p.require_approval = false;
  RepairHistory h;
  h.last_execution = rig.time.now() - 1min;
  h.consecutive_failures = 99;  // the breaker stops automation, not a human
  h.incident_attempts = 99;
  CHECK(rig.decider.decide(&p, r, h).verdict == Verdict::Skip);
  h.last_execution.reset();
  CHECK(rig.decider.decide(&p, r, h).verdict == Verdict::Execute);
}

TEST_CASE("repair: an inbound event keeps the policy's approval, dry run and rate limit",
          "[hub][unit][repair][events]") {
  Rig rig(DeciderSettings{2, 1h});
  RepairRequest r = downBy(FailureKind::None);
  r.trigger = Trigger::Event;
  r.status = HealthStatus::Healthy;
  r.action = "restart-web";
  // No policy: the default guardrails, and it runs.
  auto d = rig.decider.decide(nullptr, r, {});
  CHECK(d.verdict == Verdict::Execute);
  CHECK(mentions(d, "requested by an inbound event"));
  RepairPolicy p = enabledPolicy();
  p.enabled = false;  // automation off does not stop an event, as it does not stop a human
  p.require_approval = true;
  CHECK(rig.decider.decide(&p, r, {}).verdict == Verdict::PendingApproval);
  p.require_approval = false;
  p.dry_run = true;
  CHECK(rig.decider.decide(&p, r, {}).verdict == Verdict::DryRun);
  p.dry_run = false;
  RepairHistory h;
  h.executions_in_window = 2;
  CHECK(mentions(rig.decider.decide(&p, r, h), "global rate limit"));
}

TEST_CASE("repair: an inbound event is held back by its rule's cooldown from any start",
          "[hub][unit][repair][events]") {
  Rig rig;
  RepairPolicy p = enabledPolicy();  // cooldown 5min
  RepairRequest r = downBy(FailureKind::None);
  r.trigger = Trigger::Event;
  r.action = "restart-web";
  r.cooldown = 1h;
  RepairHistory h;
  h.last_execution = rig.time.now() - 30min;  // started by a repair, a quick action or an event
  auto d = rig.decider.decide(&p, r, h);
  CHECK(d.verdict == Verdict::Skip);
  CHECK(mentions(d, "cooldown 1h"));
  REQUIRE(d.retry_at.has_value());
  CHECK(*d.retry_at == *h.last_execution + 1h);
  r.cooldown = 0ms;  // a rule without a cooldown does not wait
  CHECK(rig.decider.decide(&p, r, h).verdict == Verdict::Execute);
}

TEST_CASE("repair: an inbound event's agent need not have registered the action",
          "[hub][unit][repair][events]") {
  Rig rig;
  RepairRequest r = downBy(FailureKind::None);
  r.trigger = Trigger::Event;
  r.action = "flush-cache";  // not in agent_actions: the agent itself refuses what it lacks
  CHECK(rig.decider.decide(nullptr, r, {}).verdict == Verdict::Execute);
  r.trigger = Trigger::Manual;
  CHECK(rig.decider.decide(nullptr, r, {}).verdict == Verdict::Skip);
}

TEST_CASE("repair: triggers print and parse as stored", "[hub][unit][repair]") {
  for (Trigger t : {Trigger::Transition, Trigger::Verify, Trigger::Manual, Trigger::Event}) {
    CHECK(parseTrigger(toString(t)) == t);
  }
  CHECK(toString(Trigger::Event) == "event");
  CHECK_FALSE(parseTrigger("cron").has_value());
}

TEST_CASE("repair policy JSON: round trip, partial updates and refusals", "[hub][unit][repair]") {
  RepairPolicy base = defaultPolicy("web", false);
  auto same = policyFromJson(toJson(base), base);
  REQUIRE(same.ok());
  CHECK(toJson(same.value()) == toJson(base));

  auto edited = policyFromJson(nlohmann::json::parse(
                                   R"({"enabled":true,"cooldown_seconds":60,
                                       "actions":{"degraded":"restart-web","timeout":""}})"),
                               base);
  REQUIRE(edited.ok());
  CHECK(edited->enabled);
  CHECK(edited->cooldown == 60s);
  CHECK(edited->actions.at(FailureClass::Degraded) == "restart-web");
  CHECK(edited->actions.at(FailureClass::Timeout).empty());
  CHECK(edited->max_attempts == base.max_attempts);

  const char* bad[] = {
      R"([])",
      R"({"enabled":"yes"})",
      R"({"max_attempts":0})",
      R"({"cooldown_seconds":-1})",
      R"({"actions":{"exploded":"restart-web"}})",
      R"({"actions":{"timeout":"rm -rf /"}})",
      R"({"actions":{"dependency_down":"restart-web"}})",
      R"({"service":"other"})",
      R"({"surprise":1})",
  };
  for (const char* text : bad) {
    INFO(text);
    auto r = policyFromJson(nlohmann::json::parse(text), base);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "policy.invalid");
  }
}
