// The pure parts of status tracking: service rules, the transition function, keepalive
// deadlines, clock skew, uptime arithmetic and hourly rollups.
#include <catch2/catch.hpp>

#include "hub/policy/liveness.hpp"
#include "hub/policy/service_rule.hpp"
#include "hub/policy/transition.hpp"
#include "hub/policy/uptime.hpp"
#include "tests/unit/hub/test_data.hpp"

using namespace vitals;
using namespace vitals::hub::policy;
using namespace std::chrono_literals;
using vitals::test::at;

namespace {
constexpr auto H = HealthStatus::Healthy;
constexpr auto G = HealthStatus::Degraded;
constexpr auto D = HealthStatus::Down;
constexpr auto U = HealthStatus::Unknown;

ServiceRule rule(RuleKind k, int quorum = 1) {
  ServiceRule r;
  r.kind = k;
  r.quorum = quorum;
  return r;
}
}  // namespace

TEST_CASE("service rules derive the service status from its checks", "[hub][unit][policy]") {
  struct Row {
    RuleKind kind;
    int quorum;
    std::vector<HealthStatus> checks;
    HealthStatus expected;
  };
  const auto row = GENERATE(values<Row>({
      {RuleKind::Worst, 1, {H, H}, H},
      {RuleKind::Worst, 1, {H, U}, U},
      {RuleKind::Worst, 1, {U, G}, G},
      {RuleKind::Worst, 1, {H, D, G}, D},
      {RuleKind::Worst, 1, {}, U},
      {RuleKind::Any, 1, {D, H}, H},
      {RuleKind::Any, 1, {D, G}, G},
      {RuleKind::Any, 1, {D, U}, U},
      {RuleKind::Any, 1, {D, D}, D},
      {RuleKind::All, 1, {H, H, H}, H},
      {RuleKind::All, 1, {H, G, H}, G},
      {RuleKind::All, 1, {H, U, H}, U},
      {RuleKind::All, 1, {H, D, U}, D},
      {RuleKind::Quorum, 2, {H, H, D}, H},
      {RuleKind::Quorum, 2, {H, G, D}, G},
      {RuleKind::Quorum, 2, {H, U, D}, U},
      {RuleKind::Quorum, 2, {H, D, D}, D},
      {RuleKind::Quorum, 3, {H, H}, D},
  }));
  INFO("rule " << toString(row.kind) << " quorum " << row.quorum);
  CHECK(evaluateService(row.checks, rule(row.kind, row.quorum)) == row.expected);
}

TEST_CASE("the transition function reports exactly the services whose status changed",
          "[hub][unit][policy]") {
  const std::map<std::string, HealthStatus> previous{{"api", H}, {"db", D}, {"web", H}};
  std::vector<ServiceEvaluation> now{
      {"api", H, "ok", "a1", "http", Cause::Check},
      {"db", H, "ok", "a2", "pg", Cause::Check},
      {"new", U, "no checks", "", "", Cause::Check},
      {"web", U, "agent unreachable", "a1", "http", Cause::Unreachable},
  };
  const auto t = detectTransitions(previous, now, at(100));
  REQUIRE(t.size() == 3);
  CHECK(t[0] == Transition{"db", D, H, at(100), "ok", "a2", "pg", Cause::Check, false});
  CHECK(t[1].service == "new");
  CHECK(t[1].first);
  CHECK(t[1].from == U);
  CHECK(t[2] == Transition{"web", H, U, at(100), "agent unreachable", "a1", "http",
                           Cause::Unreachable, false});
  // Unchanged input: nothing.
  CHECK(detectTransitions({{"api", H}}, {{"api", H, "", "", "", Cause::Check}}, at(1)).empty());
}

TEST_CASE("keepalive deadlines count missed heartbeats from last_seen or from the hub's start",
          "[hub][unit][policy]") {
  LivenessSettings s;
  s.missed_heartbeats = 3;
  s.fallback_interval = 30s;
  AgentLiveness a{"a", at(1000), 2000ms, false, false, {}, {}, false, false, {}};
  CHECK(keepaliveDeadline(a, s) == at(1006));
  a.heartbeat_interval.reset();
  CHECK(keepaliveDeadline(a, s) == at(1090));
  // A hub started at 2000 gives every agent a full deadline from then.
  a.heartbeat_interval = 2000ms;
  CHECK(keepaliveDeadline(a, s, at(2000)) == at(2006));

  std::vector<AgentLiveness> agents{
      {"late", at(1000), 2000ms, false, false, {}, {}, false, false, {}},
      {"fresh", at(1005), 2000ms, false, false, {}, {}, false, false, {}},
      {"already", at(900), 2000ms, true, false, {}, {}, false, false, {}},
      {"stopped", at(900), 2000ms, false, true, {}, {}, false, false, {}},
  };
  CHECK(overdueAgents(agents, at(1007), s) == std::vector<std::string>{"late"});
  CHECK(overdueAgents(agents, at(1006), s).empty());  // exactly at the deadline: not yet
}

TEST_CASE("a sweep plan converges memory and database on who is unreachable",
          "[hub][unit][policy]") {
  LivenessSettings s;
  std::vector<AgentLiveness> agents{
      {"dead", at(0), 1000ms, false, false, {}, {}, false, false, {}},   // overdue, unknown to both
      {"marked", at(0), 1000ms, true, false, {}, {}, false, false, {}},  // overdue, database knows
                                                                         // (restart)
      {"back", at(99), 1000ms, true, false, {}, {}, false, false, {}},   // database still says
                                                                         // unreachable
      {"stopped", at(0), 1000ms, false, true, {}, {}, false, false, {}},  // deregistered: never
                                                                          // unreachable
  };
  const auto plan = planSweep(agents, {"marked", "back"}, at(100), s);
  CHECK(plan.newly_unreachable == std::vector<std::string>{"dead"});
  CHECK(plan.returned == std::vector<std::string>{"back"});
  CHECK(plan.db_mark == std::vector<std::string>{"dead"});
  CHECK(plan.db_clear == std::vector<std::string>{"back"});
  // After a restart (empty memory), an agent the database marked stays unreachable through the
  // grace period; one that was fine before gets a full deadline from the start.
  const auto restart = planSweep(agents, {}, at(100), s, at(100));
  CHECK(restart.newly_unreachable == std::vector<std::string>{"marked"});
}

TEST_CASE(
    "agents silent for all but the last heartbeat of their deadline are the ones still coming",
    "[hub][unit][policy]") {
  LivenessSettings s;  // 3 missed heartbeats
  std::vector<AgentLiveness> agents{
      {"fresh", at(95), 10000ms, false, false, {}, {}, false, false, {}},       // 5 s silent
      {"one-missed", at(85), 10000ms, false, false, {}, {}, false, false, {}},  // 15 s
      {"two-missed", at(79), 10000ms, false, false, {}, {}, false, false, {}},  // 21 s
      {"overdue", at(60), 10000ms, false, false, {}, {}, false, false, {}},     // 40 s
      {"marked", at(75), 10000ms, true, false, {}, {}, false, false, {}},
      {"stopped", at(75), 10000ms, false, true, {}, {}, false, false, {}},
  };
  CHECK(silentAgents(agents, at(100), s) == std::vector<std::string>{"two-missed"});
  // A hub that just started has heard nobody miss anything yet.
  CHECK(silentAgents(agents, at(100), s, at(100)).empty());
  // With one missed heartbeat as the deadline, half an interval of silence is enough.
  s.missed_heartbeats = 1;
  CHECK(silentAgents(agents, at(101), s) == std::vector<std::string>{"fresh"});
}

TEST_CASE("agents of one outage reaching their deadlines in different sweeps are announced once",
          "[hub][unit][policy]") {
  UnreachableGroup g;
  const auto hold = 30000ms;
  // Nothing overdue: nothing to announce, nothing held.
  CHECK(g.sweep({}, {}, {"x"}, at(0), hold).empty());
  CHECK_FALSE(g.held());
  // First sweep: a and b overdue while c and d are still silent: held.
  CHECK(g.sweep({"a", "b"}, {}, {"c", "d"}, at(5), hold).empty());
  CHECK(g.held());
  // Next sweep: c overdue, d still silent, b heard from again: still held, b leaves.
  CHECK(g.sweep({"c"}, {"b"}, {"d"}, at(10), hold).empty());
  // d reaches its deadline and nobody else is silent: one event for a, c and d.
  CHECK(g.sweep({"d"}, {}, {}, at(15), hold) == std::vector<std::string>{"a", "c", "d"});
  CHECK_FALSE(g.held());
  // A lone agent with nobody silent is announced in the sweep that finds it.
  CHECK(g.sweep({"e"}, {}, {}, at(20), hold) == std::vector<std::string>{"e"});
  // A group never waits longer than the hold, even if some agent stays silent.
  CHECK(g.sweep({"f"}, {}, {"slow"}, at(30), hold).empty());
  CHECK(g.sweep({}, {}, {"slow"}, at(59), hold).empty());
  CHECK(g.sweep({}, {}, {"slow"}, at(60), hold) == std::vector<std::string>{"f"});
  // Every held agent came back: the group is dropped without an event.
  CHECK(g.sweep({"g"}, {}, {"h"}, at(70), hold).empty());
  g.leave({"g"});
  CHECK_FALSE(g.held());
  CHECK(g.sweep({}, {}, {}, at(75), hold).empty());
}

TEST_CASE("clock skew is reported ahead at once and behind only when it is steady",
          "[hub][unit][policy]") {
  const auto threshold = 30000ms;
  CHECK(assessSkew(std::nullopt, 45000ms, threshold) == 45000ms);
  CHECK_FALSE(assessSkew(std::nullopt, 29000ms, threshold));
  // Behind: the first one could be a delayed (replayed) heartbeat.
  CHECK_FALSE(assessSkew(std::nullopt, -60000ms, threshold));
  CHECK(assessSkew(-60200ms, -60000ms, threshold) == -60000ms);
  // A replay: offsets shrink by the heartbeat interval between consecutive heartbeats.
  CHECK_FALSE(assessSkew(-62000ms, -60000ms, threshold));
}

TEST_CASE("uptime counts degraded at its weight and leaves unknown time out",
          "[hub][unit][policy]") {
  StatusSeconds s;
  s.add(H, 3000);
  s.add(G, 1000);
  s.add(D, 1000);
  s.add(U, 5000);
  CHECK(uptimeRatio(s, 0.5) == Approx(3500.0 / 5000.0));
  CHECK(uptimeRatio(s, 1.0) == Approx(4000.0 / 5000.0));
  CHECK(uptimeRatio(s, 0.0) == Approx(3000.0 / 5000.0));
  StatusSeconds only_unknown;
  only_unknown.add(U, 100);
  CHECK_FALSE(uptimeRatio(only_unknown, 0.5));
}

TEST_CASE("windows are cut at hour boundaries", "[hub][unit][policy]") {
  const SystemTime h0 = at(1'800'000'000 / 3600 * 3600);
  const auto pieces = splitByHour(h0 + 50min, h0 + 2h + 10min);
  REQUIRE(pieces.size() == 3);
  CHECK(pieces[0] == HourPiece{h0, 600});
  CHECK(pieces[1] == HourPiece{h0 + 1h, 3600});
  CHECK(pieces[2] == HourPiece{h0 + 2h, 600});
  CHECK(splitByHour(h0, h0).empty());
  CHECK(hourOf(h0 + 59min + 59s) == h0);
}

TEST_CASE("rollups continue the running totals across hour boundaries", "[hub][unit][policy]") {
  const SystemTime h0 = at(1'800'000'000 / 3600 * 3600);
  // Healthy 00:30-02:15, then down 02:15-02:45.
  auto first = appendRollup(std::nullopt, H, h0 + 30min, h0 + 2h + 15min);
  REQUIRE(first.size() == 3);
  CHECK(first[0].seconds.healthy == 1800);
  CHECK(first[2].seconds.healthy == 900);
  CHECK(first[2].cumulative.healthy == 1800 + 3600 + 900);
  auto second = appendRollup(first.back(), D, h0 + 2h + 15min, h0 + 2h + 45min);
  REQUIRE(second.size() == 1);  // the same hour, updated
  CHECK(second[0].hour == h0 + 2h);
  CHECK(second[0].seconds.healthy == 900);
  CHECK(second[0].seconds.down == 1800);
  CHECK(second[0].cumulative.down == 1800);
  CHECK(second[0].cumulative.healthy == 6300);
  // Any window is a difference of running totals: hours 01:00-03:00.
  std::vector<RollupRow> rows{first[0], first[1], second[0]};
  const auto window = rows.back().cumulative - cumulativeBefore(rows, h0 + 1h);
  CHECK(window.healthy == 3600 + 900);
  CHECK(window.down == 1800);
  // A clock that stepped back is counted in the newest hour, never behind it.
  auto back = appendRollup(second[0], H, h0 + 1h, h0 + 1h + 10min);
  REQUIRE(back.size() == 1);
  CHECK(back[0].hour == h0 + 2h);
  CHECK(back[0].cumulative.healthy == 6300 + 600);
}
