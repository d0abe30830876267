#include <catch2/catch.hpp>

#include "hub/state/hub_state.hpp"
#include "tests/unit/hub/test_data.hpp"

using namespace vitals;
using namespace vitals::hub::state;
using vitals::test::at;
using vitals::test::result;

namespace {

CheckState checkWith(HealthStatus status, std::optional<long long> latency_us,
                     std::optional<long long> checked_at, const std::string& agent = "a1",
                     const std::string& name = "c") {
  CheckState c;
  c.agent_id = agent;
  c.name = name;
  c.service = "svc";
  c.status = status;
  if (latency_us) {
    c.latency = std::chrono::microseconds{*latency_us};
  }
  if (checked_at) {
    c.last_checked = at(*checked_at);
    c.seq = 1;
  }
  return c;
}

}  // namespace

TEST_CASE("a service's status is the worst of its checks", "[hub][unit][state]") {
  using H = HealthStatus;
  struct Case {
    std::vector<H> checks;
    H expected;
  };
  const auto c = GENERATE(values<Case>({
      {{H::Healthy}, H::Healthy},
      {{H::Healthy, H::Healthy}, H::Healthy},
      {{H::Healthy, H::Degraded}, H::Degraded},
      {{H::Degraded, H::Down, H::Healthy}, H::Down},
      {{H::Healthy, H::Unknown}, H::Unknown},
      {{H::Unknown, H::Degraded}, H::Degraded},
      {{H::Unknown}, H::Unknown},
  }));
  std::vector<CheckState> checks;
  int i = 0;
  for (auto s : c.checks) {
    checks.push_back(checkWith(s, 100, 10, "a1", "c" + std::to_string(i++)));
  }
  CHECK(aggregate("svc", checks).status == c.expected);
}

TEST_CASE("a service's latency is its slowest check and last_checked its newest",
          "[hub][unit][state]") {
  auto s =
      aggregate("svc", {checkWith(HealthStatus::Healthy, 800, 100, "a1", "x"),
                        checkWith(HealthStatus::Healthy, 2500, 90, "a2", "y"),
                        checkWith(HealthStatus::Unknown, std::nullopt, std::nullopt, "a1", "z")});
  REQUIRE(s.latency);
  CHECK(s.latency->count() == 2500);
  REQUIRE(s.last_checked);
  CHECK(*s.last_checked == at(100));
  CHECK(s.agent == "a1,a2");
  REQUIRE(s.checks.size() == 3);
  CHECK(s.checks[0].name == "x");
  CHECK(s.checks[2].name == "z");
}

TEST_CASE("a service whose checks never reported has no latency and no last_checked",
          "[hub][unit][state]") {
  auto s = aggregate("svc", {checkWith(HealthStatus::Unknown, std::nullopt, std::nullopt)});
  CHECK(s.status == HealthStatus::Unknown);
  CHECK_FALSE(s.latency);
  CHECK_FALSE(s.last_checked);
}

TEST_CASE("within a boot the higher seq wins, across boots the later observed_at wins",
          "[hub][unit][state]") {
  HubState state;
  CHECK(state.applyResult(result("a1", "b1", 5, "web", "http", HealthStatus::Down)));
  // Older seq of the same boot (a redelivery) does not win, even with a later timestamp.
  auto late_old = result("a1", "b1", 4, "web", "http", HealthStatus::Healthy, at(1'900'000'000));
  CHECK_FALSE(state.applyResult(late_old));
  CHECK(state.service("web")->status == HealthStatus::Down);
  CHECK(state.applyResult(result("a1", "b1", 6, "web", "http", HealthStatus::Healthy)));
  CHECK(state.service("web")->status == HealthStatus::Healthy);
  // A new boot restarts seq at 1: newer by time.
  CHECK(state.applyResult(
      result("a1", "b2", 1, "web", "http", HealthStatus::Degraded, at(1'800'000'100))));
  CHECK(state.service("web")->status == HealthStatus::Degraded);
  // An earlier boot's late result is older by time.
  CHECK_FALSE(state.applyResult(result("a1", "b1", 7, "web", "http", HealthStatus::Down)));
  CHECK(state.service("web")->status == HealthStatus::Degraded);
}

TEST_CASE("a registration lists checks as unknown and drops the agent's unlisted ones",
          "[hub][unit][state]") {
  HubState state;
  state.applyRegistration(vitals::test::registration(
      "a1", {vitals::test::spec("http", "web"), vitals::test::spec("tcp", "db", "tcp")}));
  REQUIRE(state.services().size() == 2);
  CHECK(state.service("db")->status == HealthStatus::Unknown);
  CHECK(state.service("db")->checks.at(0).kind == "tcp");

  state.applyResult(result("a1", "boot", 1, "web", "http"));
  state.applyResult(result("a2", "boot", 1, "db", "other-agent-check"));
  // a1 stops checking db: its db check goes, a2's stays; the web check keeps its last result.
  state.applyRegistration(vitals::test::registration("a1", {vitals::test::spec("http", "web")}));
  CHECK(state.checkCount() == 2);
  CHECK(state.service("web")->status == HealthStatus::Healthy);
  REQUIRE(state.service("db"));
  CHECK(state.service("db")->agent == "a2");
}

TEST_CASE("state restored from stored checks answers like the live one", "[hub][unit][state]") {
  HubState state;
  state.restore("a1", vitals::test::spec("http", "web"),
                result("a1", "b1", 9, "web", "http", HealthStatus::Down));
  state.restore("a1", vitals::test::spec("tcp", "web", "tcp"), std::nullopt);
  auto web = state.service("web");
  REQUIRE(web);
  CHECK(web->status == HealthStatus::Down);
  // The restored seq still orders later results.
  CHECK_FALSE(state.applyResult(result("a1", "b1", 8, "web", "http", HealthStatus::Healthy)));
  CHECK(state.applyResult(result("a1", "b1", 10, "web", "http", HealthStatus::Healthy)));
  CHECK(state.service("web")->status == HealthStatus::Unknown);  // tcp has not reported
  CHECK_FALSE(state.service("nope"));
}

TEST_CASE("a result moves its check to the service it names", "[hub][unit][state]") {
  HubState state;
  state.applyResult(result("a1", "b1", 1, "old", "c"));
  state.applyResult(result("a1", "b1", 2, "new", "c"));
  CHECK_FALSE(state.service("old"));
  CHECK(state.service("new"));
}

TEST_CASE("an unreachable agent's checks read unknown and the service follows its rule",
          "[hub][unit][state]") {
  HubState s;
  s.applyResult(test::result("a1", "b", 1, "web", "http", HealthStatus::Healthy));
  s.applyResult(test::result("a2", "b", 1, "web", "http", HealthStatus::Down));
  CHECK(s.service("web")->status == HealthStatus::Down);  // default: worst

  vitals::hub::policy::ServiceRule any;
  any.kind = vitals::hub::policy::RuleKind::Any;
  s.setRules({{"web", any}});
  CHECK(s.service("web")->status == HealthStatus::Healthy);

  CHECK(s.setUnreachable("a1", true));
  CHECK_FALSE(s.setUnreachable("a1", true));  // no change
  const auto web = s.service("web");
  // Under `any`, the silent replica might be up: unknown, not down.
  CHECK(web->status == HealthStatus::Unknown);
  REQUIRE(web->checks.size() == 2);
  CHECK(web->checks[0].unreachable);
  CHECK(web->checks[0].status == HealthStatus::Unknown);
  CHECK(web->checks[0].message == "agent unreachable");
  CHECK(web->checks[0].raw_status == HealthStatus::Healthy);  // the last real result is kept
  CHECK(s.servicesOf("a1") == std::set<std::string>{"web"});
  CHECK(s.servicesNamed({"web"}).size() == 1);
  CHECK(s.servicesNamed({"other"}).empty());

  CHECK(s.setUnreachable("a1", false));
  CHECK(s.service("web")->status == HealthStatus::Healthy);
}

TEST_CASE("service snapshots stay as they were while the state moves on and the version grows",
          "[hub][unit][state]") {
  HubState s;
  const auto v0 = s.version();
  s.applyResult(result("a1", "b", 1, "web", "http", HealthStatus::Healthy));
  const auto before = s.serviceSnapshots();
  const auto v1 = s.version();
  CHECK(v1 > v0);
  s.applyResult(result("a1", "b", 2, "web", "http", HealthStatus::Down));
  CHECK(s.version() > v1);
  REQUIRE(before.size() == 1);
  CHECK(before[0]->status == HealthStatus::Healthy);
  CHECK(s.service("web")->status == HealthStatus::Down);
  // An older result changes nothing, and the version stays.
  const auto v2 = s.version();
  CHECK_FALSE(s.applyResult(result("a1", "b", 1, "web", "http", HealthStatus::Healthy)));
  CHECK(s.version() == v2);
}

TEST_CASE("a check that moves to another service leaves the first one and its aggregate",
          "[hub][unit][state]") {
  HubState s;
  s.applyRegistration(vitals::test::registration(
      "a1", {vitals::test::spec("c1", "web"), vitals::test::spec("c2", "web")}));
  CHECK(s.service("web")->checks.size() == 2);
  s.applyRegistration(vitals::test::registration(
      "a1", {vitals::test::spec("c1", "web"), vitals::test::spec("c2", "db")}));
  CHECK(s.service("web")->checks.size() == 1);
  CHECK(s.service("db")->checks.size() == 1);
  s.applyRegistration(vitals::test::registration("a1", {vitals::test::spec("c2", "db")}));
  CHECK_FALSE(s.service("web").has_value());
  CHECK(s.serviceNames() == std::set<std::string>{"db"});
  CHECK(s.serviceSnapshots().size() == 1);
}

TEST_CASE("unreachable and stopped agents show in the service aggregates at once",
          "[hub][unit][state]") {
  HubState s;
  s.applyResult(result("a1", "b", 1, "web", "http", HealthStatus::Healthy));
  s.applyResult(result("a2", "b", 1, "db", "pg", HealthStatus::Healthy));
  REQUIRE(s.setUnreachable("a1", true));
  CHECK(s.service("web")->status == HealthStatus::Unknown);
  CHECK(s.service("web")->checks[0].unreachable);
  CHECK(s.service("db")->status == HealthStatus::Healthy);
  REQUIRE(s.setUnreachable("a1", false));
  CHECK(s.service("web")->status == HealthStatus::Healthy);
  REQUIRE(s.setStopped("a2", "", vitals::test::at(1'800'000'500)));
  CHECK(s.service("db")->checks[0].stopped);
  REQUIRE(s.clearStopped("a2").has_value());
  CHECK_FALSE(s.service("db")->checks[0].stopped);
  CHECK(s.forgetAgent("a2") == std::set<std::string>{"db"});
  CHECK_FALSE(s.service("db").has_value());
}
