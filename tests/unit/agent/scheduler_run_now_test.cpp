// ProbeScheduler::runNow (recheck/diagnose): a run now, joined when one is in progress, results
// still going to the sink, and callers told when the check goes away.
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

ScheduledCheck check(const std::string& name, const std::string& service) {
  ScheduledCheck c;
  c.name = name;
  c.service = service;
  c.kind = "fake";
  c.interval = 60s;
  c.timeout = 2s;
  c.thresholds.retries = 1;
  return c;
}

struct Harness {
  ManualTime time;
  FixedRandom random{0.5};  // first scheduled runs at 30 s
  metrics::Registry metrics;
  std::vector<CheckResult> sunk;
  ProbeScheduler scheduler{time,    time,
                           random,  [this](CheckResult r) { sunk.push_back(std::move(r)); },
                           metrics, quietLogger()};
  FakeProbe& add(ScheduledCheck c) {
    auto probe = std::make_unique<FakeProbe>();
    FakeProbe& ref = *probe;
    scheduler.add(std::move(c), std::move(probe));
    return ref;
  }
};

}  // namespace

TEST_CASE("runNow starts a run at once and hands its result to the caller and the sink",
          "[agent][unit][scheduler]") {
  Harness h;
  FakeProbe& probe = h.add(check("web-http", "web"));
  std::vector<std::optional<CheckResult>> got;
  REQUIRE(h.scheduler.runNow("web-http", false, [&](auto r) { got.push_back(std::move(r)); }));
  CHECK(probe.runs() == 0);  // never from inside runNow
  h.time.advance(0s);
  REQUIRE(probe.runs() == 1);
  probe.succeed();
  REQUIRE(got.size() == 1);
  REQUIRE(got[0]);
  CHECK(got[0]->check == "web-http");
  CHECK(got[0]->status == HealthStatus::Healthy);
  CHECK(got[0]->details.count("diagnose.timeout") == 0);
  CHECK(h.sunk.size() == 1);
  // The regular schedule continues one interval after this run.
  h.time.advance(59s);
  CHECK(probe.runs() == 1);
  h.time.advance(1s);
  CHECK(probe.runs() == 2);
}

TEST_CASE("runNow joins a run in progress and verbose adds the scheduler's view",
          "[agent][unit][scheduler]") {
  Harness h;
  FakeProbe& probe = h.add(check("web-http", "web"));
  h.time.advance(30s);
  REQUIRE(probe.runs() == 1);
  std::optional<CheckResult> got;
  REQUIRE(h.scheduler.runNow("web-http", true, [&](auto r) { got = std::move(r); }));
  h.time.advance(0s);
  CHECK(probe.runs() == 1);  // not started twice
  probe.fail();
  REQUIRE(got);
  CHECK(got->raw_status == HealthStatus::Down);
  CHECK(got->details.at("diagnose.timeout") == "2s");
  CHECK(got->details.at("diagnose.interval") == "1m");
  CHECK(h.sunk.back().details.count("diagnose.timeout") == 0);  // the pipeline's copy is plain
}

TEST_CASE("runNow refuses unknown checks and tells waiters when a check is removed",
          "[agent][unit][scheduler]") {
  Harness h;
  h.add(check("web-http", "web"));
  h.add(check("web-tcp", "web"));
  h.add(check("db", "db"));
  CHECK(h.scheduler.checksOfService("web") == std::vector<std::string>{"web-http", "web-tcp"});
  CHECK(h.scheduler.checksOfService("none").empty());
  CHECK_FALSE(h.scheduler.runNow("nope", false, [](auto) {}));
  int calls = 0;
  bool empty = false;
  REQUIRE(h.scheduler.runNow("db", false, [&](auto r) {
    ++calls;
    empty = !r;
  }));
  h.scheduler.remove("db");
  CHECK(calls == 1);
  CHECK(empty);
  h.scheduler.stop();
  CHECK_FALSE(h.scheduler.runNow("web-http", false, [](auto) {}));
}
