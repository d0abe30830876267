#include <catch2/catch.hpp>

#include <vector>

#include "agent/scheduler/probe_scheduler.hpp"
#include "common/time/manual_time.hpp"
#include "tests/unit/agent/fakes/fake_probe.hpp"
#include "tests/unit/agent/fakes/test_logger.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace vitals::agent::test;
using namespace std::chrono_literals;

namespace {

ScheduledCheck every(std::chrono::milliseconds interval, std::chrono::milliseconds timeout = 2s,
                     std::uint32_t retries = 3, std::chrono::milliseconds backoff = 1s) {
  ScheduledCheck c;
  c.name = "web";
  c.service = "web-svc";
  c.kind = "fake";
  c.interval = interval;
  c.timeout = timeout;
  c.retry_backoff = backoff;
  c.thresholds.retries = retries;
  c.thresholds.recover = 1;
  return c;
}

struct Harness {
  explicit Harness(double fraction) : random(fraction) {}
  ManualTime time;
  FixedRandom random;
  metrics::Registry metrics;
  std::vector<CheckResult> results;
  ProbeScheduler scheduler{time,    time,
                           random,  [this](CheckResult r) { results.push_back(std::move(r)); },
                           metrics, quietLogger()};

  FakeProbe& add(ScheduledCheck check) {
    auto probe = std::make_unique<FakeProbe>();
    FakeProbe& ref = *probe;
    scheduler.add(std::move(check), std::move(probe));
    return ref;
  }
  std::uint64_t counter(const std::string& name) {
    return metrics.counter(name, "", "check=\"web\"").value();
  }
};

// Seconds since the harness started, for readable expectations.
double secondsSince(SteadyTime start, SteadyTime t) {
  return std::chrono::duration<double>(t - start).count();
}

}  // namespace

TEST_CASE("the first run comes at the start of the interval when random gives 0",
          "[agent][unit][scheduler]") {
  Harness h(0.0);
  auto& probe = h.add(every(30s));
  h.time.advance(0s);
  CHECK(probe.runs() == 1);
}

TEST_CASE("the first run comes just before the interval ends when random gives 0.999",
          "[agent][unit][scheduler]") {
  Harness h(0.999);
  auto& probe = h.add(every(30s));
  h.time.advance(29960ms);  // 0.999 * 30 s = 29.97 s
  CHECK(probe.runs() == 0);
  h.time.advance(10ms);
  CHECK(probe.runs() == 1);
}

TEST_CASE("a scan with a 6h interval first runs within a minute, then every 6h",
          "[agent][unit][scheduler][scan]") {
  Harness h(0.999);
  CheckConfig config;
  config.name = "web";
  config.service = "web-svc";
  config.kind = "scan";
  config.interval = 6h;
  config.timeout = 10min;
  config.heavy = true;
  config.spec = ScanCheckSpec{};
  const ScheduledCheck check = scheduledCheck(config);
  CHECK(check.first_run_within == 1min);
  CHECK(check.target_key == "scan");  // every scan of an agent shares one gate
  auto& probe = h.add(check);
  h.time.advance(59s);
  CHECK(probe.runs() == 0);
  h.time.advance(1s);  // 0.999 * 60 s = 59.94 s
  CHECK(probe.runs() == 1);
  probe.complete(ProbeOutcome::healthy(1s, "no vulnerabilities"));
  h.time.advance(6h - 1min);
  CHECK(probe.runs() == 1);
  h.time.advance(1min);
  CHECK(probe.runs() == 2);
}

TEST_CASE("a healthy check runs once per interval", "[agent][unit][scheduler]") {
  Harness h(0.0);
  auto& probe = h.add(every(30s));
  h.time.advance(0s);
  REQUIRE(probe.runs() == 1);
  probe.succeed();
  h.time.advance(29s);
  CHECK(probe.runs() == 1);
  h.time.advance(1s);
  CHECK(probe.runs() == 2);
  probe.succeed();
  h.time.advance(30s);
  CHECK(probe.runs() == 3);
  CHECK(h.results.size() == 2);
  CHECK(probe.lastTimeout() == 2s);
}

TEST_CASE("every result carries the check, the state machine's status and the attempt",
          "[agent][unit][scheduler]") {
  Harness h(0.0);
  auto check = every(30s);
  check.thresholds.degraded_latency = std::chrono::microseconds{500ms};
  auto& probe = h.add(check);
  h.time.advance(0s);
  probe.succeed(800ms);
  REQUIRE(h.results.size() == 1);
  const CheckResult& r = h.results[0];
  CHECK(r.check == "web");
  CHECK(r.service == "web-svc");
  CHECK(r.kind == "fake");
  CHECK(r.raw_status == HealthStatus::Healthy);
  CHECK(r.status == HealthStatus::Degraded);
  CHECK(r.latency == 800ms);
  CHECK(r.attempt == 1);
  CHECK(r.consecutive_failures == 0);
  CHECK(r.observed_at == h.time.now());
  CHECK(r.seq == 0);  // the pipeline numbers results, not the scheduler
  CHECK(h.scheduler.state("web").status == HealthStatus::Degraded);
}

TEST_CASE(
    "a run that outlives its timeout is reported as a timeout and its late outcome "
    "ignored",
    "[agent][unit][scheduler]") {
  Harness h(0.0);
  auto& probe = h.add(every(30s, 2s, 3));
  h.time.advance(0s);
  h.time.advance(1999ms);
  CHECK(h.results.empty());
  h.time.advance(1ms);
  REQUIRE(h.results.size() == 1);
  CHECK(h.results[0].raw_status == HealthStatus::Down);
  CHECK(h.results[0].failure_kind == FailureKind::Timeout);
  CHECK(h.results[0].message == "timed out after 2s");
  CHECK(h.results[0].latency == 2s);
  CHECK(h.counter("vitals_agent_check_timeouts_total") == 1);

  probe.succeed();  // too late
  CHECK(h.results.size() == 1);
  CHECK(h.counter("vitals_agent_check_late_outcomes_total") == 1);
}

TEST_CASE("a check still running when its turn comes is not started twice",
          "[agent][unit][scheduler]") {
  Harness h(0.0);
  auto& probe = h.add(every(30s, 2s, 1));  // retries 1: the timeout makes it down, no retry
  h.time.advance(0s);
  h.time.advance(2s);  // timeout; the probe still has not called back
  REQUIRE(h.results.size() == 1);
  REQUIRE(h.results[0].status == HealthStatus::Down);

  h.time.advance(28s);  // its next turn
  CHECK(probe.runs() == 1);
  CHECK(probe.pendingCount() == 1);
  CHECK(h.counter("vitals_agent_check_skipped_total") == 1);
  REQUIRE(h.results.size() == 2);  // the skipped turn still reports, so a hang stays visible
  CHECK(h.results[1].raw_status == HealthStatus::Down);
  CHECK(h.results[1].failure_kind == FailureKind::Timeout);

  probe.succeed();  // the hung run finally returns: ignored, and the check is free again
  CHECK(h.results.size() == 2);
  h.time.advance(30s);
  CHECK(probe.runs() == 2);
}

TEST_CASE("failed runs are retried with exponential backoff until the check is down",
          "[agent][unit][scheduler]") {
  Harness h(0.0);  // jitter factor 0.8
  const SteadyTime start = h.time.steadyNow();
  std::vector<double> run_at;
  auto probe = std::make_unique<ScriptedProbe>([&](int) {
    run_at.push_back(secondsSince(start, h.time.steadyNow()));
    return ProbeOutcome::down(FailureKind::Refused, 1ms, "connection refused");
  });
  h.scheduler.add(every(30s, 2s, 5, 1s), std::move(probe));
  h.time.advance(60s);
  // 0, +0.8, +1.6, +3.2, +6.4 (down after the 5th), then one interval after the 5th started.
  REQUIRE(run_at.size() >= 6);
  CHECK(run_at[0] == Approx(0.0));
  CHECK(run_at[1] == Approx(0.8));
  CHECK(run_at[2] == Approx(2.4));
  CHECK(run_at[3] == Approx(5.6));
  CHECK(run_at[4] == Approx(12.0));
  CHECK(run_at[5] == Approx(42.0));
  std::vector<std::uint32_t> attempts;
  std::vector<std::uint32_t> failures;
  for (const auto& r : h.results) {
    attempts.push_back(r.attempt);
    failures.push_back(r.consecutive_failures);
  }
  CHECK(attempts == std::vector<std::uint32_t>{1, 2, 3, 4, 5, 1});
  CHECK(failures == std::vector<std::uint32_t>{1, 2, 3, 4, 5, 6});
  CHECK(h.results[3].status == HealthStatus::Unknown);
  CHECK(h.results[4].status == HealthStatus::Down);
}

TEST_CASE("retry delays are capped at the interval", "[agent][unit][scheduler]") {
  Harness h(0.999);  // jitter factor ~1.2
  std::vector<SteadyTime> run_at;
  auto probe = std::make_unique<ScriptedProbe>([&](int) {
    run_at.push_back(h.time.steadyNow());
    return ProbeOutcome::down(FailureKind::Refused, 1ms, "connection refused");
  });
  h.scheduler.add(every(30s, 2s, 10, 10s), std::move(probe));
  h.time.advance(200s);
  REQUIRE(run_at.size() >= 5);
  // 10 s * 1.2, 20 s * 1.2, then 40 s * 1.2 capped at 30 s.
  const auto second = std::chrono::duration_cast<std::chrono::milliseconds>(run_at[2] - run_at[1]);
  CHECK(second >= 23990ms);
  CHECK(second <= 23993ms);
  CHECK(run_at[3] - run_at[2] == 30s);
  CHECK(run_at[4] - run_at[3] == 30s);
}

TEST_CASE("after a retry succeeds the check runs at its interval again",
          "[agent][unit][scheduler]") {
  Harness h(0.0);
  auto& probe = h.add(every(30s, 2s, 3, 1s));
  h.time.advance(0s);
  probe.fail();
  h.time.advance(800ms);
  REQUIRE(probe.runs() == 2);
  probe.succeed();
  CHECK(h.results.back().attempt == 2);
  CHECK(h.results.back().status == HealthStatus::Healthy);
  h.time.advance(29s);
  CHECK(probe.runs() == 2);
  h.time.advance(1s);
  CHECK(probe.runs() == 3);
}

TEST_CASE("retry delay: backoff doubles per failure with +-20% jitter, capped at the interval",
          "[agent][unit][scheduler]") {
  FixedRandom low(0.0);
  FixedRandom high(0.999);
  CHECK(retryDelay(1s, 1, 30s, low) == 800ms);
  CHECK(retryDelay(1s, 2, 30s, low) == 1600ms);
  CHECK(retryDelay(1s, 3, 30s, low) == 3200ms);
  CHECK(retryDelay(1s, 1, 30s, high) == 1199ms);
  CHECK(retryDelay(1s, 10, 30s, high) == 30s);
  CHECK(retryDelay(1s, 1000, 30s, low) == 30s);  // no overflow on long outages

  StdRandom random(42);
  for (int i = 0; i < 1000; ++i) {
    const auto d = retryDelay(1s, 2, 30s, random);
    REQUIRE(d >= 1600ms);
    REQUIRE(d < 2400ms);
  }
}

TEST_CASE("checks run independently on their own timers", "[agent][unit][scheduler]") {
  Harness h(0.0);
  auto& fast = h.add(every(5s, 1s));
  auto slow_check = every(20s, 1s);
  slow_check.name = "slow";
  auto slow = std::make_unique<FakeProbe>();
  FakeProbe& slow_ref = *slow;
  h.scheduler.add(slow_check, std::move(slow));
  for (int i = 0; i < 4; ++i) {
    h.time.advance(i == 0 ? 0s : 5s);
    if (fast.pendingCount() > 0) {
      fast.succeed();
    }
    if (slow_ref.pendingCount() > 0) {
      slow_ref.succeed();
    }
  }
  CHECK(fast.runs() == 4);
  CHECK(slow_ref.runs() == 1);
}

TEST_CASE("stop cancels every timer and ignores outcomes that arrive later",
          "[agent][unit][scheduler]") {
  Harness h(0.0);
  auto& probe = h.add(every(30s));
  h.time.advance(0s);
  h.scheduler.stop();
  probe.succeed();
  h.time.advance(120s);
  CHECK(probe.runs() == 1);
  CHECK(h.results.empty());
  CHECK(h.time.pendingCount() == 0);
}

TEST_CASE("a probe that throws when started gives a failed result, not a crash",
          "[agent][unit][scheduler]") {
  Harness h(0.0);
  auto probe = std::make_unique<ScriptedProbe>(
      [](int) -> ProbeOutcome { throw std::runtime_error("boom"); });
  h.scheduler.add(every(30s), std::move(probe));
  h.time.advance(0s);
  REQUIRE(h.results.size() == 1);
  CHECK(h.results[0].failure_kind == FailureKind::Error);
  CHECK(h.results[0].message.find("boom") != std::string::npos);
}

namespace {

ScheduledCheck named(const std::string& name, bool heavy, const std::string& target,
                     std::chrono::milliseconds interval = 10s) {
  ScheduledCheck c = every(interval);
  c.name = name;
  c.heavy = heavy;
  c.target_key = target;
  return c;
}

}  // namespace

TEST_CASE("heavy checks of the same target run one at a time, the second when the first returns",
          "[agent][unit][scheduler]") {
  Harness h(0.0);  // all first runs at once: the worst case
  auto& a = h.add(named("pg-a", true, "db:5432"));
  auto& b = h.add(named("pg-b", true, "db:5432"));
  auto& other = h.add(named("pg-other", true, "db2:5432"));
  auto& light = h.add(named("tcp-db", false, "db:5432"));
  h.time.advance(0s);
  CHECK(a.runs() == 1);
  CHECK(b.runs() == 0);      // waits for pg-a
  CHECK(other.runs() == 1);  // another target
  CHECK(light.runs() == 1);  // not heavy
  CHECK(h.metrics.counter("vitals_agent_check_deferred_total", "", "check=\"pg-b\"").value() == 1);
  a.succeed();
  h.time.advance(0s);
  CHECK(b.runs() == 1);
  b.succeed();
  // Next turn: a starts at 10 s; b (started later) is not blocked by a finished run.
  h.time.advance(10s);
  CHECK(a.runs() == 2);
}

TEST_CASE("a heavy check that times out releases its target to the next one",
          "[agent][unit][scheduler]") {
  Harness h(0.0);
  auto& a = h.add(named("pg-a", true, "db:5432"));
  auto& b = h.add(named("pg-b", true, "db:5432"));
  h.time.advance(0s);
  REQUIRE(a.runs() == 1);
  h.time.advance(2s);  // pg-a's timeout: it hangs
  CHECK(b.runs() == 1);
}

TEST_CASE("a removed check runs no more and its late outcome is ignored",
          "[agent][unit][scheduler]") {
  Harness h(0.0);
  auto& probe = h.add(every(10s));
  h.time.advance(0s);
  REQUIRE(probe.runs() == 1);
  REQUIRE(h.scheduler.remove("web"));
  CHECK_FALSE(h.scheduler.contains("web"));
  CHECK(h.scheduler.size() == 0);
  CHECK_FALSE(h.scheduler.remove("web"));
  // The probe is kept alive until its outstanding run returns; that outcome makes no result.
  probe.succeed();
  CHECK(h.results.empty());
  h.time.advance(60s);
  CHECK(h.results.empty());
}

TEST_CASE("a check removed and added again starts fresh, other checks keep their state",
          "[agent][unit][scheduler]") {
  Harness h(0.0);
  auto& web = h.add(every(10s));
  auto& kept = h.add(named("kept", false, ""));
  h.time.advance(0s);
  web.fail();
  kept.fail();
  REQUIRE(h.scheduler.state("web").consecutive_failures == 1);
  REQUIRE(h.scheduler.remove("web"));
  auto& again = h.add(every(10s));
  CHECK(h.scheduler.state("web").consecutive_failures == 0);
  CHECK(h.scheduler.state("kept").consecutive_failures == 1);
  h.time.advance(0s);
  CHECK(again.runs() == 1);
}

TEST_CASE("results carry flapping, and the start of flapping is noted in details and message",
          "[agent][unit][scheduler][flap]") {
  Harness h(0.0);
  auto check = every(1s, 500ms, 1, 100ms);
  auto& probe = h.add(check);
  h.time.advance(0s);
  for (int i = 0; i < 12; ++i) {
    if (i % 2 == 0) {
      probe.succeed();
    } else {
      probe.fail();
    }
    h.time.advance(1s);
  }
  REQUIRE(h.results.size() >= 10);
  CHECK_FALSE(h.results[8].flapping);
  CHECK(h.results[9].flapping);  // the 10th alternating result crosses 50%
  CHECK(h.results[9].details.at("flap") == "started");
  CHECK(h.results[9].message.find("flapping started") != std::string::npos);
  CHECK(h.results[10].flapping);
  CHECK(h.results[10].details.count("flap") == 0);
  CHECK(h.scheduler.flapState("web").flapping);
}

namespace {
// Quantile i (0.5, 0.99, 1) of the lateness summary.
double lateness(metrics::Registry& m, std::size_t i) {
  return m.summary("vitals_agent_schedule_lateness_seconds", "", {0.5, 0.99, 1.0}).quantileValue(i);
}
}  // namespace

TEST_CASE("lateness quantiles are published once a batch of runs is in",
          "[agent][unit][scheduler]") {
  metrics::Registry m;
  LatenessWindow window(m, 100, 10, 1h);
  auto gauge = [&m](const std::string& q) {
    return lateness(m, q == "0.5" ? 0 : q == "0.99" ? 1 : 2);
  };
  const SteadyTime t0{};
  for (int i = 1; i <= 9; ++i) {
    window.record(std::chrono::milliseconds(i), t0);
  }
  CHECK(gauge("0.5") == 0.0);  // 9 of 10: nothing published yet
  window.record(10ms, t0);
  CHECK(gauge("0.5") == Approx(0.005));
  CHECK(gauge("0.99") == Approx(0.009));
  CHECK(gauge("1") == Approx(0.010));
  // A summary for Prometheus: _sum and _count over every run next to the quantiles.
  const std::string text = m.render();
  CHECK_THAT(text, Catch::Contains("# TYPE vitals_agent_schedule_lateness_seconds summary\n"));
  CHECK_THAT(text, Catch::Contains("vitals_agent_schedule_lateness_seconds_count 10\n"));
  CHECK_THAT(text, Catch::Contains("vitals_agent_schedule_lateness_seconds_sum 0.055"));
}

TEST_CASE("lateness quantiles cover only the last window of runs", "[agent][unit][scheduler]") {
  metrics::Registry m;
  LatenessWindow window(m, 4, 1, 1h);
  const SteadyTime t0{};
  for (int i = 0; i < 4; ++i) {
    window.record(100ms, t0);
  }
  for (int i = 0; i < 4; ++i) {
    window.record(1ms, t0);
  }
  CHECK(lateness(m, 2) == Approx(0.001));
}

TEST_CASE("lateness is published after max_age even with few runs, and early starts count as 0",
          "[agent][unit][scheduler]") {
  metrics::Registry m;
  LatenessWindow window(m, 100, 1000, 5s);
  const SteadyTime t0{};
  window.record(-3ms, t0);
  window.record(2ms, t0 + 1s);
  auto max = [&m] { return lateness(m, 2); };
  CHECK(max() == 0.0);
  window.record(4ms, t0 + 6s);
  CHECK(max() == Approx(0.004));
  CHECK(lateness(m, 0) == Approx(0.002));
}

TEST_CASE("vitals_agent_probe_runs_total counts the runs of every check",
          "[agent][unit][scheduler]") {
  Harness h(0.0);
  auto& web = h.add(every(10s));
  auto other_check = every(10s);
  other_check.name = "db";
  auto& db = h.add(other_check);
  h.time.advance(0s);
  web.succeed();
  db.succeed();
  h.time.advance(10s);
  CHECK(h.metrics.counter("vitals_agent_probe_runs_total", "").value() == 4);
}
