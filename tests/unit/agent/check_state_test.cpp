#include <catch2/catch.hpp>

#include "agent/state/check_state.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace std::chrono_literals;

namespace {

enum class Input { Good, Slow, ProbeDegraded, Fail, Inconclusive };

ProbeOutcome outcome(Input in) {
  switch (in) {
    case Input::Good:
      return ProbeOutcome::healthy(10ms, "ok");
    case Input::Slow:
      return ProbeOutcome::healthy(900ms, "slow");
    case Input::ProbeDegraded:
      return ProbeOutcome{HealthStatus::Degraded, 10ms, "degraded", {}, FailureKind::None, nullptr};
    case Input::Fail:
      return ProbeOutcome::down(FailureKind::Refused, 1ms, "refused");
    case Input::Inconclusive:
      break;
  }
  return ProbeOutcome{HealthStatus::Unknown, 0us, "?", {}, FailureKind::None, nullptr};
}

Thresholds limits(std::uint32_t retries, std::uint32_t recover) {
  return Thresholds{retries, recover, std::chrono::microseconds{500ms}};
}

constexpr auto U = HealthStatus::Unknown;
constexpr auto H = HealthStatus::Healthy;
constexpr auto D = HealthStatus::Degraded;
constexpr auto X = HealthStatus::Down;

struct Row {
  const char* rule;
  CheckState from;
  Input input;
  Thresholds thresholds;
  CheckState to;  // {status, consecutive_failures, consecutive_successes, consecutive_good}
};

}  // namespace

TEST_CASE("check state transitions follow the table", "[agent][unit][state]") {
  // clang-format off
  // rule, from {status, failures, successes, good}, input, limits(retries, recover), to
  const Row row = GENERATE(values<Row>({
      {"unknown -> healthy on the first success",
       {U, 0, 0, 0}, Input::Good, limits(3, 1), {H, 0, 1, 1}},
      {"unknown -> degraded on a slow first success",
       {U, 0, 0, 0}, Input::Slow, limits(3, 1), {D, 0, 1, 0}},
      {"a probe that says degraded degrades",
       {U, 0, 0, 0}, Input::ProbeDegraded, limits(3, 1), {D, 0, 1, 0}},
      {"unknown stays unknown on a soft failure",
       {U, 0, 0, 0}, Input::Fail, limits(3, 1), {U, 1, 0, 0}},
      {"unknown -> down at `retries` failures",
       {U, 2, 0, 0}, Input::Fail, limits(3, 1), {X, 3, 0, 0}},
      {"healthy stays healthy on a soft failure",
       {H, 0, 5, 5}, Input::Fail, limits(3, 1), {H, 1, 0, 0}},
      {"healthy -> down at `retries` failures",
       {H, 2, 0, 0}, Input::Fail, limits(3, 1), {X, 3, 0, 0}},
      {"retries 1: the first failure is down",
       {H, 0, 1, 1}, Input::Fail, limits(1, 1), {X, 1, 0, 0}},
      {"healthy -> degraded at once when slow",
       {H, 0, 3, 3}, Input::Slow, limits(3, 1), {D, 0, 4, 0}},
      {"a success clears the failure count",
       {H, 2, 0, 0}, Input::Good, limits(3, 1), {H, 0, 1, 1}},
      {"degraded stays degraded on a soft failure",
       {D, 0, 1, 0}, Input::Fail, limits(3, 1), {D, 1, 0, 0}},
      {"degraded stays degraded while slow",
       {D, 0, 1, 0}, Input::Slow, limits(3, 1), {D, 0, 2, 0}},
      {"degraded -> healthy after `recover` good results (1)",
       {D, 0, 1, 0}, Input::Good, limits(3, 1), {H, 0, 2, 1}},
      {"degraded needs `recover` good results (2, first)",
       {D, 0, 1, 0}, Input::Good, limits(3, 2), {D, 0, 2, 1}},
      {"degraded -> healthy after `recover` good results (2, second)",
       {D, 0, 2, 1}, Input::Good, limits(3, 2), {H, 0, 3, 2}},
      {"down stays down on failure, counting",
       {X, 3, 0, 0}, Input::Fail, limits(3, 1), {X, 4, 0, 0}},
      {"down -> healthy after `recover` good results (1)",
       {X, 4, 0, 0}, Input::Good, limits(3, 1), {H, 0, 1, 1}},
      {"down -> degraded when the recovering result is slow",
       {X, 4, 0, 0}, Input::Slow, limits(3, 1), {D, 0, 1, 0}},
      {"down stays down until `recover` successes (2, first)",
       {X, 4, 0, 0}, Input::Good, limits(3, 2), {X, 0, 1, 1}},
      {"down -> healthy after `recover` good results (2, second)",
       {X, 0, 1, 1}, Input::Good, limits(3, 2), {H, 0, 2, 2}},
      {"a slow success while down counts toward recovery",
       {X, 0, 1, 0}, Input::Good, limits(3, 2), {D, 0, 2, 1}},
      {"a failure while recovering restarts the count",
       {X, 0, 1, 1}, Input::Fail, limits(3, 2), {X, 1, 0, 0}},
      {"an inconclusive run makes the state unknown",
       {H, 1, 0, 0}, Input::Inconclusive, limits(3, 1), {U, 0, 0, 0}},
  }));
  // clang-format on
  INFO(row.rule);
  CHECK(apply(row.from, outcome(row.input), row.thresholds) == row.to);
}

TEST_CASE("without degraded_latency a slow success is healthy", "[agent][unit][state]") {
  Thresholds t{3, 1, std::nullopt};
  const auto next = apply(CheckState{}, ProbeOutcome::healthy(10s, "slow"), t);
  CHECK(next.status == HealthStatus::Healthy);
  CHECK(classify(ProbeOutcome::healthy(10s, "slow"), t) == RunVerdict::Good);
}

TEST_CASE("latency equal to degraded_latency is not slow", "[agent][unit][state]") {
  Thresholds t{3, 1, std::chrono::microseconds{500ms}};
  CHECK(classify(ProbeOutcome::healthy(500ms, "edge"), t) == RunVerdict::Good);
  CHECK(classify(ProbeOutcome::healthy(501ms, "edge"), t) == RunVerdict::Slow);
}

TEST_CASE("a sequence goes down after `retries` failures and recovers after `recover` successes",
          "[agent][unit][state]") {
  const Thresholds t = limits(2, 2);
  CheckState s;
  s = apply(s, outcome(Input::Good), t);
  REQUIRE(s.status == H);
  s = apply(s, outcome(Input::Fail), t);
  REQUIRE(s.status == H);  // soft
  s = apply(s, outcome(Input::Fail), t);
  REQUIRE(s.status == X);
  s = apply(s, outcome(Input::Good), t);
  REQUIRE(s.status == X);  // 1 of 2
  s = apply(s, outcome(Input::Good), t);
  CHECK(s.status == H);
  CHECK(s.consecutive_failures == 0);
}
