// /api/v1/uptime, /services/{name}/uptime and /trends over fakes: numbers, params, errors.
#include <catch2/catch.hpp>

#include "common/time/manual_time.hpp"
#include "hub/api/routes.hpp"
#include "tests/unit/hub/fakes/fake_read_store.hpp"
#include "tests/unit/hub/fakes/fake_status_store.hpp"
#include "tests/unit/hub/test_data.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace std::chrono_literals;
using vitals::test::at;

namespace {

struct Api {
  ManualTime time{at(1'800'000'000 - 1000)};
  state::HubState state;
  test::FakeReadStore store;
  test::FakeStatusStore uptime_store;
  metrics::Registry registry;
  api::ServicesHandler services{state, store, time};
  api::AgentsHandler agents{store, time};
  api::OpsHandler ops{{}, registry};
  api::UptimeHandler uptime{state, uptime_store, time, 0.5};
  api::Router router = api::buildRouter({services, agents, ops, uptime});
  api::ApiResponse get(const std::string& path,
                       std::vector<std::pair<std::string, std::string>> query = {}) {
    return router.dispatch("GET", path, query);
  }
};

}  // namespace

TEST_CASE("uptime of all services weighs degraded time and leaves unknown time out",
          "[hub][unit][api]") {
  Api api;
  policy::StatusSeconds s;
  s.healthy = 8000;
  s.degraded = 1000;
  s.down = 1000;
  s.unknown = 50000;
  api.uptime_store.seconds["web"] = s;
  auto r = api.get("/api/v1/uptime", {{"window", "7d"}});
  REQUIRE(r.status == 200);
  CHECK(r.body["window"] == "7d");
  REQUIRE(r.body["services"].size() == 1);
  CHECK(r.body["services"][0]["uptime_percent"].get<double>() == Approx(85.0));
  CHECK(r.body["services"][0]["seconds"]["unknown"].get<double>() == 50000);
  // The window starts at the start of the hour holding now - 7d.
  CHECK(api.uptime_store.last_since == policy::hourOf(api.time.now() - 24h * 7));
  CHECK(api.get("/api/v1/uptime").body["window"] == "30d");
}

TEST_CASE("uptime parameters are validated and name the parameter", "[hub][unit][api]") {
  Api api;
  api.uptime_store.seconds["web"] = {};
  auto r = api.get("/api/v1/uptime", {{"window", "2d"}});
  CHECK(r.status == 400);
  CHECK_THAT(r.body["error"]["message"].get<std::string>(), Catch::Contains("\"window\""));
  r = api.get("/api/v1/services/web/trends", {{"hours", "0"}});
  CHECK(r.status == 400);
  CHECK_THAT(r.body["error"]["message"].get<std::string>(), Catch::Contains("\"hours\""));
  CHECK(api.get("/api/v1/services/web/trends", {{"hours", "x"}}).status == 400);
  CHECK(api.get("/api/v1/services/web/trends", {{"hours", "745"}}).status == 400);
  CHECK(api.get("/api/v1/services/nope/uptime").status == 404);
  CHECK(api.get("/api/v1/services/nope/trends").status == 404);
  api.uptime_store.unavailable = true;
  CHECK(api.get("/api/v1/uptime").status == 503);
}

TEST_CASE("a service's uptime carries its timeline and a null uptime without known time",
          "[hub][unit][api]") {
  Api api;
  const SystemTime now = api.time.now();
  api.uptime_store.seconds["web"] = {0, 0, 0, 3600, 0};
  api.uptime_store.timeline["web"] = {
      {HealthStatus::Healthy, now - 2h, now - 1h},
      {HealthStatus::Down, now - 1h, std::nullopt},
  };
  auto r = api.get("/api/v1/services/web/uptime", {{"window", "30d"}});
  REQUIRE(r.status == 200);
  CHECK(r.body["uptime_percent"].is_null());
  REQUIRE(r.body["timeline"].size() == 2);
  CHECK(r.body["timeline"][0]["status"] == "healthy");
  CHECK(r.body["timeline"][0]["duration_seconds"].get<double>() == 3600);
  CHECK(r.body["timeline"][1]["end"].is_null());
  CHECK(r.body["timeline"][1]["duration_seconds"].get<double>() == 3600);
}

TEST_CASE("trends return one bucket per hour ending with the current hour", "[hub][unit][api]") {
  Api api;
  store::TrendBucket b;
  b.hour = policy::hourOf(api.time.now());
  b.latency_avg_ms = 12.5;
  b.latency_max_ms = 40;
  b.results = 3;
  b.seconds.healthy = 600;
  api.uptime_store.buckets["web"] = {b};
  api.uptime_store.seconds["web"] = {};
  auto r = api.get("/api/v1/services/web/trends", {{"hours", "6"}});
  REQUIRE(r.status == 200);
  CHECK(r.body["hours"] == 6);
  CHECK(api.uptime_store.last_since == policy::hourOf(api.time.now()) - 5h);
  REQUIRE(r.body["buckets"].size() == 1);
  CHECK(r.body["buckets"][0]["latency_avg_ms"].get<double>() == 12.5);
  CHECK(r.body["buckets"][0]["uptime_percent"].get<double>() == 100.0);
}

namespace {
struct FakeMaintenance final : api::MaintenanceSource {
  std::vector<api::MaintenanceWindow> windows;
  Result<std::vector<api::MaintenanceWindow>> maintenance(SystemTime, SystemTime) override {
    return windows;
  }
};
}  // namespace

TEST_CASE(
    "maintenance time is left out of uptime, counted once where windows overlap, and only "
    "for the services it names",
    "[hub][unit][api]") {
  Api api;
  FakeMaintenance maintenance;
  api::UptimeHandler uptime{api.state, api.uptime_store, api.time, 0.5, &maintenance};
  const SystemTime now = api.time.now();
  // web: healthy 10h, then down 2h (ongoing). Maintenance 9h-11h ago overlaps 1h of each;
  // a second window inside it counts nothing twice.
  api.uptime_store.seconds["web"] = {36000, 0, 7200, 0, 0};
  api.uptime_store.timeline["web"] = {{HealthStatus::Healthy, now - 12h, now - 2h},
                                      {HealthStatus::Down, now - 2h, std::nullopt}};
  api.uptime_store.seconds["api"] = {3600, 0, 0, 0, 0};
  maintenance.windows = {{"web", now - 3h, now - 1h}, {"w*", now - 150min, now - 90min}};
  auto r = uptime.all(api::ApiRequest{});
  REQUIRE(r.status == 200);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& s : r.body["services"]) {
    by_name[s["name"]] = s;
  }
  CHECK(by_name["web"]["seconds"]["healthy"].get<double>() == Approx(36000 - 3600));
  CHECK(by_name["web"]["seconds"]["down"].get<double>() == Approx(7200 - 3600));
  CHECK(by_name["web"]["seconds"]["maintenance"].get<double>() == Approx(7200));
  CHECK(by_name["web"]["uptime_percent"].get<double>() == Approx(100.0 * 32400 / 36000));
  CHECK(by_name["api"]["seconds"]["healthy"].get<double>() == Approx(3600));
  CHECK(by_name["api"]["seconds"]["maintenance"].get<double>() == 0);
}

TEST_CASE("the uptime caches are warmed once per hour, and again after a failed try",
          "[hub][unit][api]") {
  Api api;
  REQUIRE(api.uptime.warm().ok());
  CHECK(api.uptime_store.totals_calls == 2);  // 7 days and 30 days
  CHECK(api.uptime_store.last_since == policy::hourOf(api.time.now() - 24h * 30));
  api.time.advance(20s);
  REQUIRE(api.uptime.warm().ok());
  CHECK(api.uptime_store.totals_calls == 2);  // same hour: nothing to do
  api.time.advance(1h);
  api.uptime_store.unavailable = true;
  CHECK_FALSE(api.uptime.warm().ok());
  api.uptime_store.unavailable = false;
  REQUIRE(api.uptime.warm().ok());  // the failed hour is tried again
  CHECK(api.uptime_store.totals_calls == 5);
  REQUIRE(api.uptime.warm().ok());
  CHECK(api.uptime_store.totals_calls == 5);
}
