// The alert engine against a real PostgreSQL, without a hub process: the backlog rule after an
// outage (max_notify_age) and two engines (two hubs) sharing one database.
#include <catch2/catch.hpp>
#include <thread>

#include "common/log/log.hpp"
#include "common/metrics/metrics.hpp"
#include "common/time/manual_time.hpp"
#include "hub/alerts/alert_engine.hpp"
#include "hub/store/migrations.hpp"
#include "hub/store/pg_pool.hpp"
#include "hub/store/pg_status_store.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/pg_query.hpp"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

class AllHealthy final : public hub::alerts::LiveView {
 public:
  HealthStatus statusOf(const std::string&) const override { return HealthStatus::Healthy; }
  bool flapping(const std::string&, const std::string&) const override { return false; }
};

struct Db {
  std::string conninfo;
  hub::store::PgConnectOptions pg;
  std::shared_ptr<spdlog::logger> logger =
      log::makeLogger("test", log::LogOptions{"warn", log::Format::Text});

  explicit Db(const std::string& name) {
    const auto fx = Fixture::load();
    conninfo = fx.freshDatabase(name);
    pg.conninfo = conninfo;
    auto conn = hub::store::PgConnection::connect(pg, logger);
    REQUIRE(conn.ok());
    auto migrations = hub::store::parseMigrations(hub::store::embeddedSchemaFiles());
    REQUIRE(migrations.ok());
    REQUIRE(hub::store::migrate(*conn.value(), migrations.value(), *logger).ok());
  }
  std::unique_ptr<hub::store::PgConnection> connect() const {
    auto c = hub::store::PgConnection::connect(pg, logger);
    REQUIRE(c.ok());
    return std::move(c.value());
  }
};

hub::policy::Transition flip(const std::string& service, HealthStatus from, HealthStatus to,
                             SystemTime at) {
  hub::policy::Transition t;
  t.service = service;
  t.from = from;
  t.to = to;
  t.at = at;
  t.reason = "test";
  t.agent = "a1";
  t.check = service;
  return t;
}

hub::alerts::EngineSettings settings() {
  hub::alerts::EngineSettings s;
  s.defaults.channels = {"ops"};
  s.max_notify_age = 5min;
  return s;
}

}  // namespace

TEST_CASE(
    "after an outage a problem that came and went long ago is recorded, not notified, "
    "while recent changes and a still-open problem are",
    "[integration][alerts]") {
  Db db("alert_engine_backlog");
  ManualTime time;  // 1'800'000'000 s
  const SystemTime now = time.now();
  hub::store::PgPool pool(db.pg, 1, db.logger);
  hub::store::PgStatusStore store(pool);
  // Everything the hub records after coming back: old flips (an hour ago) and recent ones.
  REQUIRE(store
              .record({flip("gone", HealthStatus::Unknown, HealthStatus::Healthy, now - 2h),
                       flip("recent", HealthStatus::Unknown, HealthStatus::Healthy, now - 2h),
                       flip("still", HealthStatus::Unknown, HealthStatus::Healthy, now - 2h)})
              .ok());
  REQUIRE(store
              .record({flip("gone", HealthStatus::Healthy, HealthStatus::Down, now - 1h),
                       flip("still", HealthStatus::Healthy, HealthStatus::Down, now - 1h)})
              .ok());
  REQUIRE(store
              .record({flip("gone", HealthStatus::Down, HealthStatus::Healthy, now - 50min),
                       flip("recent", HealthStatus::Healthy, HealthStatus::Down, now - 1min)})
              .ok());
  REQUIRE(
      store.record({flip("recent", HealthStatus::Down, HealthStatus::Healthy, now - 30s)}).ok());

  AllHealthy live;
  metrics::Registry registry;
  hub::alerts::AlertEngine engine(
      [&] { return hub::store::PgConnection::connect(db.pg, db.logger); }, time, live, {},
      settings(), registry, db.logger);
  auto conn = db.connect();
  auto n = engine.processChanges(*conn);
  REQUIRE(n.ok());
  CHECK(n.value() == 8);
  // "gone": down and back an hour ago -> nothing. "still": its newest change is an old down ->
  // one incident, notified. "recent": both recent changes -> opened, notified, recovered.
  CHECK(count(db.conninfo, "SELECT count(*) FROM alerts WHERE service = 'gone'") == 0);
  CHECK(count(db.conninfo,
              "SELECT count(*) FROM alerts WHERE service = 'still' AND state = "
              "'open' AND notified") == 1);
  CHECK(count(db.conninfo,
              "SELECT count(*) FROM alerts WHERE service = 'recent' AND state = "
              "'resolved'") == 1);
  CHECK(count(db.conninfo, "SELECT count(*) FROM notification_outbox") == 3);
  CHECK(metricValue(registry.render(), "vitals_alert_changes_superseded_total") == 4);
  // Nothing is processed twice.
  REQUIRE(engine.processChanges(*conn).ok());
  CHECK(count(db.conninfo, "SELECT count(*) FROM notification_outbox") == 3);
}

TEST_CASE("two engines on one database handle every change exactly once", "[integration][alerts]") {
  Db db("alert_engine_two_hubs");
  ManualTime time;
  const SystemTime now = time.now();
  hub::store::PgPool pool(db.pg, 2, db.logger);
  hub::store::PgStatusStore store(pool);
  constexpr int kServices = 40;
  AllHealthy live;
  metrics::Registry r1;
  metrics::Registry r2;
  auto connector = [&] { return hub::store::PgConnection::connect(db.pg, db.logger); };
  hub::alerts::AlertEngine e1(connector, time, live, {}, settings(), r1, db.logger);
  hub::alerts::AlertEngine e2(connector, time, live, {}, settings(), r2, db.logger);
  std::atomic<bool> done{false};
  auto run = [&](hub::alerts::AlertEngine& e) {
    auto c = db.connect();
    while (!done) {
      (void)e.processChanges(*c);
    }
    (void)e.processChanges(*c);
  };
  std::thread t1([&] { run(e1); });
  std::thread t2([&] { run(e2); });
  for (int i = 0; i < kServices; ++i) {
    const std::string s = "svc-" + std::to_string(i);
    REQUIRE(store.record({flip(s, HealthStatus::Unknown, HealthStatus::Healthy, now)}).ok());
    REQUIRE(store.record({flip(s, HealthStatus::Healthy, HealthStatus::Down, now + 1s)}).ok());
    REQUIRE(store.record({flip(s, HealthStatus::Down, HealthStatus::Healthy, now + 2s)}).ok());
  }
  REQUIRE(waitUntil(
      [&] {
        return count(db.conninfo, "SELECT count(*) FROM alerts WHERE state = 'resolved'") ==
               kServices;
      },
      20s));
  done = true;
  t1.join();
  t2.join();
  // One incident per service, one notice for the down and one for the recovery: no more.
  CHECK(count(db.conninfo, "SELECT count(*) FROM alerts") == kServices);
  CHECK(count(db.conninfo, "SELECT count(*) FROM notification_outbox") == 2 * kServices);
  CHECK(count(db.conninfo, "SELECT count(*) FROM alert_events WHERE event = 'opened'") ==
        kServices);
}

TEST_CASE("the engine's cached alert configs follow a change written by another hub",
          "[integration][alerts]") {
  Db db("alert_engine_configs");
  ManualTime time;
  hub::store::PgPool pool(db.pg, 1, db.logger);
  hub::store::PgStatusStore store(pool);
  AllHealthy live;
  metrics::Registry registry;
  hub::alerts::AlertEngine engine(
      [&] { return hub::store::PgConnection::connect(db.pg, db.logger); }, time, live, {},
      settings(), registry, db.logger);
  auto conn = db.connect();
  REQUIRE(
      store.record({flip("web", HealthStatus::Unknown, HealthStatus::Healthy, time.now())}).ok());
  REQUIRE(store.record({flip("web", HealthStatus::Healthy, HealthStatus::Down, time.now())}).ok());
  REQUIRE(engine.processChanges(*conn).ok());
  REQUIRE(engine.tick(*conn).ok());
  const auto notified = count(db.conninfo, "SELECT count(*) FROM notification_outbox");
  CHECK(notified == 1);  // the defaults: channel ops
  time.advance(1min);
  REQUIRE(store.record({flip("web", HealthStatus::Down, HealthStatus::Healthy, time.now())}).ok());
  REQUIRE(engine.processChanges(*conn).ok());
  const auto recovered = count(db.conninfo, "SELECT count(*) FROM notification_outbox");
  // Another hub turns alerts off for web; this engine has web's config cached.
  REQUIRE(count(db.conninfo,
                "WITH x AS (INSERT INTO health_alert_configs (service, channels, enabled) "
                "VALUES ('web', '[\"ops\"]', false) RETURNING 1) SELECT count(*) FROM x") == 1);
  time.advance(1min);
  REQUIRE(store.record({flip("web", HealthStatus::Healthy, HealthStatus::Down, time.now())}).ok());
  REQUIRE(engine.processChanges(*conn).ok());
  REQUIRE(engine.tick(*conn).ok());
  CHECK(count(db.conninfo, "SELECT count(*) FROM notification_outbox") == recovered);
  // And back on: the next problem is notified again.
  REQUIRE(count(db.conninfo,
                "WITH x AS (UPDATE health_alert_configs SET enabled = true RETURNING 1) "
                "SELECT count(*) FROM x") == 1);
  time.advance(1min);
  REQUIRE(store.record({flip("web", HealthStatus::Down, HealthStatus::Healthy, time.now())}).ok());
  time.advance(1min);
  REQUIRE(store.record({flip("web", HealthStatus::Healthy, HealthStatus::Down, time.now())}).ok());
  REQUIRE(engine.processChanges(*conn).ok());
  REQUIRE(engine.tick(*conn).ok());
  CHECK(count(db.conninfo, "SELECT count(*) FROM notification_outbox") > recovered);
}
