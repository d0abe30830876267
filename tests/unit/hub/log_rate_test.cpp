// Log-rate thresholds over a fake status store: errors per minute from log results, one
// log_rate change when the rate crosses the service's threshold and one when it is back under.
#include <catch2/catch.hpp>

#include "common/log/log.hpp"
#include "common/time/manual_time.hpp"
#include "hub/alerts/log_rate.hpp"
#include "tests/unit/hub/fakes/fake_status_store.hpp"

using namespace vitals;
using namespace std::chrono_literals;

namespace {

const SystemTime t0 = SystemTime{std::chrono::seconds{1'800'000'000}};

CheckResult logResult(SystemTime at, int errors, const std::string& service = "api") {
  CheckResult r;
  r.agent_id = "n1";
  r.check = "api-log";
  r.service = service;
  r.kind = "log";
  r.observed_at = at;
  if (errors >= 0) {
    r.details["count.error"] = std::to_string(errors);
  }
  return r;
}

hub::store::IngestBatch batch(std::vector<CheckResult> results) {
  hub::store::IngestBatch b;
  b.results = std::move(results);
  return b;
}

// A monitor over a fake store, with a threshold of 10 error lines a minute for service "api".
struct Rig {
  static hub::policy::ServiceRules apiRules() {
    hub::policy::ServiceRules rules;
    rules["api"].log_errors_per_minute = 10;
    return rules;
  }
  ManualTime time{t0};
  test::FakeStatusStore store;
  hub::alerts::LogRateMonitor monitor{
      store,   time, apiRules(),
      "error", {},   log::makeLogger("test", log::LogOptions{"off", log::Format::Text})};
};
}  // namespace

TEST_CASE(
    "errors per minute are a log result's level count over the time since the previous "
    "result",
    "[hub][unit][alerts]") {
  using hub::alerts::errorsPerMinute;
  CHECK(errorsPerMinute(logResult(t0 + 30s, 15), t0, "error") == Approx(30.0));
  CHECK(errorsPerMinute(logResult(t0 + 60s, -1), t0, "error") == Approx(0.0));
  CHECK_FALSE(errorsPerMinute(logResult(t0 + 60s, 5), std::nullopt, "error").has_value());
  CHECK_FALSE(errorsPerMinute(logResult(t0, 5), t0, "error").has_value());
  auto http = logResult(t0 + 60s, 5);
  http.kind = "http";
  CHECK_FALSE(errorsPerMinute(http, t0, "error").has_value());
}

TEST_CASE(
    "a service's log error rate over its threshold records one log_rate change, and one "
    "more when it is back under",
    "[hub][unit][alerts]") {
  Rig rig;
  auto& store = rig.store;
  auto& monitor = rig.monitor;
  int woken = 0;
  monitor.onRecorded([&] { ++woken; });

  monitor.onCommitted(batch({logResult(t0, 100)}));      // first result: no interval yet
  monitor.onCommitted(batch({logResult(t0 + 60s, 5)}));  // 5/min: under
  CHECK(store.changes.empty());
  monitor.onCommitted(batch({logResult(t0 + 120s, 30)}));  // 30/min: over
  REQUIRE(store.changes.size() == 1);
  CHECK(store.changes[0].cause == hub::policy::Cause::LogRate);
  CHECK(store.changes[0].to == HealthStatus::Degraded);
  CHECK(store.changes[0].reason.find("30.0 error lines/min over the threshold of 10.0") !=
        std::string::npos);
  monitor.onCommitted(batch({logResult(t0 + 180s, 40)}));  // still over: nothing new
  CHECK(store.changes.size() == 1);
  monitor.onCommitted(batch({logResult(t0 + 240s, 2)}));  // back under
  REQUIRE(store.changes.size() == 2);
  CHECK(store.changes[1].to == HealthStatus::Healthy);
  CHECK(woken == 2);
  // Services without a threshold are never judged.
  monitor.onCommitted(batch({logResult(t0, 1000, "web"), logResult(t0 + 60s, 1000, "web")}));
  CHECK(store.changes.size() == 2);
}

TEST_CASE("a log_rate change that could not be written is found again by the next result",
          "[hub][unit][alerts]") {
  Rig rig;
  auto& store = rig.store;
  auto& monitor = rig.monitor;
  monitor.onCommitted(batch({logResult(t0, 0)}));
  store.fail_records = 1;
  monitor.onCommitted(batch({logResult(t0 + 60s, 50)}));
  CHECK(store.changes.empty());
  monitor.onCommitted(batch({logResult(t0 + 120s, 50)}));
  REQUIRE(store.changes.size() == 1);
  CHECK(store.changes[0].to == HealthStatus::Degraded);
}
