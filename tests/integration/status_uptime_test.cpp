// Service status transitions, staleness and uptime with a real hub, agent, NATS and PostgreSQL.
#include <httplib.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/log/log.hpp"
#include "common/model/codec.hpp"
#include "common/nats/nats_client.hpp"
#include "common/nats/subjects.hpp"
#include "common/time/clock.hpp"
#include "hub/policy/uptime.hpp"
#include "hub/store/migrations.hpp"
#include "hub/store/pg_connection.hpp"
#include "hub/store/pg_pool.hpp"
#include "hub/store/pg_status_store.hpp"
#include "tests/support/http_peers.hpp"
#include "tests/support/pg_query.hpp"
#include "tests/support/stack.hpp"
#include "vitals/v1/hub.pb.h"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Short deadlines: agents heartbeat every 2s; one missed heartbeat makes an agent unreachable.
constexpr const char* kFastStaleness =
    "staleness:\n  missed_heartbeats: 1\n  sweep_interval: 250ms\n";

// StatusChange messages received on hub.<hub>.health.>.
class StatusListener {
 public:
  StatusListener(const Fixture& fx, const std::string& hub_id) {
    nats::ConnectOptions o;
    o.url = fx.nats_url;
    conn_ = std::move(nats::Connection::connect(o)).value();
    REQUIRE(waitUntil([&] { return conn_->connected(); }, 5s));
    auto sub = conn_->subscribe("hub." + hub_id + ".health.>",
                                [this](const nats::Subscription::Message& m) {
                                  v1::StatusChange c;
                                  if (c.ParseFromString(m.data)) {
                                    std::lock_guard lock(mu_);
                                    seen_.emplace_back(m.subject, c);
                                  }
                                });
    REQUIRE(sub.ok());
    sub_ = std::move(sub).value();
    REQUIRE(conn_->flush(2s).ok());
  }
  bool has(const std::string& subject, v1::Status to) {
    std::lock_guard lock(mu_);
    for (const auto& [s, c] : seen_) {
      if (s == subject && c.to() == to) {
        return true;
      }
    }
    return false;
  }

 private:
  std::unique_ptr<nats::Connection> conn_;
  std::unique_ptr<nats::Subscription> sub_;
  std::mutex mu_;
  std::vector<std::pair<std::string, v1::StatusChange>> seen_;
};

json getJson(int port, const std::string& path) {
  auto r = httpGet(port, path);
  return r.status == 200 ? json::parse(r.body, nullptr, false) : json();
}

std::string serviceStatus(int port, const std::string& name) {
  const auto body = getJson(port, "/api/v1/services/" + name);
  return body.is_object() ? body.value("status", "") : "";
}

// A fresh database with the hub's schema applied (store-level tests without a hub process).
struct MigratedDb {
  std::string conninfo;
  hub::store::PgConnectOptions pg;
  std::shared_ptr<spdlog::logger> logger =
      log::makeLogger("test", log::LogOptions{"warn", log::Format::Text});

  explicit MigratedDb(const std::string& name) {
    conninfo = Fixture::load().freshDatabase(name);
    pg.conninfo = conninfo;
    auto conn = hub::store::PgConnection::connect(pg, logger);
    REQUIRE(conn.ok());
    auto migrations = hub::store::parseMigrations(hub::store::embeddedSchemaFiles());
    REQUIRE(migrations.ok());
    REQUIRE(hub::store::migrate(*conn.value(), migrations.value(), *logger).ok());
  }
};

}  // namespace

TEST_CASE(
    "a check flip is recorded, published as a StatusChange and closes an uptime window, "
    "and a killed agent's service turns unknown, not down",
    "[integration][status]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  const auto dir = fx.workDir("status-flip");
  HubOptions ho;
  ho.hub_id = "hub-status";
  ho.db_conninfo = fx.freshDatabase("status_flip");
  ho.http_port = freeTcpPort();
  ho.extra_yaml = kFastStaleness;
  HubProcess hub(fx, dir, ho);
  if (!hub.waitReady(20s)) {
    FAIL("hub did not become ready:\n" << hub.log());
  }
  StatusListener listener(fx, ho.hub_id);
  const int web_port = freeTcpPort();
  SampleServer web(web_port);
  web.start();
  AgentProcess agent(fx, dir, "flip-agent",
                     "  - name: sample-web\n    kind: http\n    url: http://127.0.0.1:" +
                         std::to_string(web_port) +
                         "/healthz\n    interval: 500ms\n    timeout: 300ms\n");
  auto logs = [&] { return "hub log:\n" + hub.log() + "\nagent log:\n" + agent.log(); };
  if (!waitUntil([&] { return serviceStatus(hub.port(), "sample-web") == "healthy"; }, 20s)) {
    FAIL(logs());
  }
  std::this_thread::sleep_for(1s);  // some healthy time in the first window

  web.stop();
  REQUIRE(waitUntil([&] { return serviceStatus(hub.port(), "sample-web") == "down"; }, 15s));
  const auto& db = ho.db_conninfo;
  REQUIRE(waitUntil(
      [&] {
        return count(db,
                     "SELECT count(*) FROM status_changes WHERE service = 'sample-web' AND "
                     "from_status = 'healthy' AND to_status = 'down' AND agent_id = 'flip-agent' "
                     "AND check_name = 'sample-web'") == 1;
      },
      5s));
  CHECK(waitUntil([&] { return listener.has("hub.hub-status.health.sample-web", v1::STATUS_DOWN); },
                  5s));
  // The healthy window is closed with its duration; the down window is open.
  CHECK(count(db,
              "SELECT count(*) FROM uptime_records WHERE service = 'sample-web' AND "
              "status = 'healthy' AND ended_at IS NOT NULL AND duration_seconds >= 1 AND "
              "abs(duration_seconds - EXTRACT(EPOCH FROM ended_at - started_at)) < 0.001") == 1);
  CHECK(count(db,
              "SELECT count(*) FROM uptime_records WHERE service = 'sample-web' AND "
              "status = 'down' AND ended_at IS NULL") == 1);

  // The uptime endpoint agrees with the windows.
  const auto up = getJson(hub.port(), "/api/v1/services/sample-web/uptime?window=7d");
  REQUIRE(up.is_object());
  double healthy = 0;
  double down = 0;
  for (const auto& w : up["timeline"]) {
    if (w["status"] == "healthy") {
      healthy += w["duration_seconds"].get<double>();
    } else if (w["status"] == "down") {
      down += w["duration_seconds"].get<double>();
    }
  }
  CHECK(up["seconds"]["healthy"].get<double>() == Approx(healthy).margin(0.01));
  CHECK(up["seconds"]["down"].get<double>() == Approx(down).margin(0.5));
  CHECK(up["uptime_percent"].get<double>() ==
        Approx(100.0 * healthy / (healthy + down)).margin(5.0));
  const auto all = getJson(hub.port(), "/api/v1/uptime?window=30d");
  REQUIRE(all.is_object());
  CHECK_FALSE(all["services"].empty());
  CHECK(httpGet(hub.port(), "/api/v1/uptime?window=1y").status == 400);
  const auto trends = getJson(hub.port(), "/api/v1/services/sample-web/trends?hours=2");
  REQUIRE(trends.is_object());
  CHECK(trends["buckets"].size() == 2);

  // SIGKILL: no deregistration. After the deadline the service is unknown ("unreachable").
  agent.process().signal(SIGKILL);
  if (!waitUntil([&] { return serviceStatus(hub.port(), "sample-web") == "unknown"; }, 10s)) {
    FAIL(logs());
  }
  const auto detail = getJson(hub.port(), "/api/v1/services/sample-web");
  CHECK(detail["checks"][0]["message"] == "agent unreachable");
  CHECK(detail["checks"][0]["unreachable"] == true);
  CHECK(detail["checks"][0]["age_seconds"].is_number());
  CHECK(waitUntil(
      [&] {
        return count(db,
                     "SELECT count(*) FROM status_changes WHERE service = 'sample-web' AND "
                     "to_status = 'unknown' AND reason = 'agent unreachable'") == 1;
      },
      5s));
  CHECK(count(db,
              "SELECT count(*) FROM status_changes WHERE service = '_agents' AND "
              "reason LIKE '1 agent unreachable: flip-agent%'") == 1);
  CHECK(listener.has("hub.hub-status.health._agents", v1::STATUS_UNKNOWN));
  const auto agents = getJson(hub.port(), "/api/v1/agents");
  REQUIRE(agents["agents"].size() == 1);
  CHECK(agents["agents"][0]["unreachable"] == true);
  const auto metrics = httpGet(hub.port(), "/metrics").body;
  CHECK(metricValue(metrics, "vitals_agents_unreachable_total") == 1);
  hub.process().stop(SIGTERM);  // exit code: see the NATS shutdown race in the report
}

TEST_CASE(
    "an agent that dies while the hub is down is unreachable after the hub's restart, and "
    "stays so across another restart",
    "[integration][status]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  HubOptions ho;
  ho.hub_id = "hub-restart";
  ho.db_conninfo = fx.freshDatabase("status_restart");
  ho.http_port = freeTcpPort();
  ho.extra_yaml = kFastStaleness;
  const auto& db = ho.db_conninfo;
  const std::string checks = "  - name: bus\n    kind: tcp\n    host: 127.0.0.1\n    port: " +
                             std::to_string(fx.nats_port) +
                             "\n    interval: 500ms\n    timeout: 300ms\n";
  const auto dir1 = fx.workDir("status-restart-1");
  auto hub1 = std::make_unique<HubProcess>(fx, dir1, ho);
  REQUIRE(hub1->waitReady(20s));
  AgentProcess agent(fx, dir1, "doomed", checks);
  if (!waitUntil([&] { return serviceStatus(ho.http_port, "bus") == "healthy"; }, 20s)) {
    FAIL("hub log:\n" << hub1->log() << "\nagent log:\n" << agent.log());
  }
  hub1->process().stop(SIGTERM);
  agent.process().signal(SIGKILL);
  REQUIRE(waitUntil([&] { return !agent.process().running(); }, 5s));
  std::this_thread::sleep_for(2500ms);  // longer than the deadline

  const auto dir2 = fx.workDir("status-restart-2");
  {
    HubProcess hub2(fx, dir2, ho);
    REQUIRE(hub2.waitReady(20s));
    if (!waitUntil([&] { return serviceStatus(ho.http_port, "bus") == "unknown"; }, 10s)) {
      FAIL("hub 2 log:\n" << hub2.log());
    }
    CHECK(count(db,
                "SELECT count(*) FROM agents WHERE agent_id = 'doomed' AND "
                "unreachable_since IS NOT NULL") == 1);
    CHECK(count(db,
                "SELECT count(*) FROM status_changes WHERE service = 'bus' AND "
                "to_status = 'unknown' AND reason = 'agent unreachable'") == 1);
    hub2.process().stop(SIGTERM);
  }
  const auto dir3 = fx.workDir("status-restart-3");
  HubProcess hub3(fx, dir3, ho);
  REQUIRE(hub3.waitReady(20s));
  INFO("hub 3 log:\n" << hub3.log());  // as of its start
  CHECK(serviceStatus(ho.http_port, "bus") == "unknown");
  // No second grouped event or transition for the same dead agent.
  std::this_thread::sleep_for(1s);
  CHECK(count(db, "SELECT count(*) FROM status_changes WHERE service = '_agents'") == 1);
  CHECK(count(db,
              "SELECT count(*) FROM status_changes WHERE service = 'bus' AND "
              "to_status = 'unknown' AND reason = 'agent unreachable'") == 1);
  hub3.process().stop(SIGTERM);
}

TEST_CASE("PostgreSQL uptime windows, rollup checkpoints and totals agree across hour boundaries",
          "[integration][status]") {
  const MigratedDb db("status_rollups");
  const std::string& conninfo = db.conninfo;
  hub::store::PgPool pool(db.pg, 2, db.logger);
  hub::store::PgStatusStore store(pool);
  // A fixed past hour h0: healthy 00:30-02:15, down 02:15-02:45, then healthy (ongoing).
  const SystemTime h0 = hub::policy::hourOf(SystemTime{std::chrono::seconds{1'800'000'000}});
  auto t = [&](std::chrono::minutes m) { return h0 + m; };
  using hub::policy::Cause;
  using hub::policy::Transition;
  const auto H = HealthStatus::Healthy;
  const auto D = HealthStatus::Down;
  REQUIRE(store
              .record({Transition{"web", HealthStatus::Unknown, H, t(30min), "ok", "a", "c",
                                  Cause::Check, true}})
              .ok());
  // The hourly checkpoint at 02:00 counts the ongoing window up to then.
  REQUIRE(store.checkpoint(h0 + 2h, h0 - 24h * 400).ok());
  REQUIRE(
      store.record({Transition{"web", H, D, t(135min), "refused", "a", "c", Cause::Check, false}})
          .ok());
  // A retry of the same transition writes nothing.
  REQUIRE(
      store.record({Transition{"web", H, D, t(136min), "refused", "a", "c", Cause::Check, false}})
          .ok());
  REQUIRE(
      store.record({Transition{"web", D, H, t(165min), "ok", "a", "c", Cause::Check, false}}).ok());
  CHECK(count(conninfo, "SELECT count(*) FROM status_changes WHERE service = 'web'") == 3);
  CHECK(scalar(conninfo, "SELECT duration_seconds FROM uptime_records WHERE status = 'down'") ==
        "1800");

  // From 01:00 to 03:00: healthy 01:00-02:15 (4500 s) + 02:45-03:00 (900 s), down 1800 s.
  auto totals = store.totals(h0 + 1h, h0 + 3h, std::string("web"));
  REQUIRE(totals.ok());
  REQUIRE(totals->count("web") == 1);
  CHECK(totals->at("web").healthy == Approx(5400));
  CHECK(totals->at("web").down == Approx(1800));
  // The whole history: 00:30-02:15 healthy (6300 s) + 900 s.
  auto all = store.totals(h0 - 1h, h0 + 3h, std::nullopt);
  REQUIRE(all.ok());
  CHECK(all->at("web").healthy == Approx(7200));
  CHECK(hub::policy::uptimeRatio(all->at("web"), 0.5).value() == Approx(7200.0 / 9000.0));

  auto windows = store.windows("web", h0 + 1h, h0 + 3h);
  REQUIRE(windows.ok());
  REQUIRE(windows->size() == 3);
  CHECK(windows->at(1).status == D);
  CHECK(windows->at(1).started_at == t(135min));
  CHECK_FALSE(windows->at(2).ended_at.has_value());

  auto buckets = store.trends("web", h0, h0 + 3h);
  REQUIRE(buckets.ok());
  REQUIRE(buckets->size() == 3);
  CHECK(buckets->at(0).seconds.healthy == Approx(1800));
  CHECK(buckets->at(1).seconds.healthy == Approx(3600));
  CHECK(buckets->at(2).seconds.healthy == Approx(900 + 900));
  CHECK(buckets->at(2).seconds.down == Approx(1800));

  // Retention: rollups and closed windows older than the cut are deleted.
  REQUIRE(store.checkpoint(h0 + 3h, h0 + 2h).ok());
  CHECK(count(conninfo, "SELECT count(*) FROM uptime_hourly WHERE hour < '" +
                            hub::store::pgTimestamp(h0 + 2h) + "'") == 0);
  CHECK(count(conninfo, "SELECT count(*) FROM uptime_records WHERE ended_at IS NULL") == 1);
}

TEST_CASE("an agent clock far ahead of the hub's is reported as skew on the agent",
          "[integration][status]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  const auto dir = fx.workDir("status-skew");
  HubOptions ho;
  ho.hub_id = "hub-skew";
  ho.db_conninfo = fx.freshDatabase("status_skew");
  ho.http_port = freeTcpPort();
  ho.extra_yaml = "staleness:\n  clock_skew_threshold: 30s\n";
  HubProcess hub(fx, dir, ho);
  REQUIRE(hub.waitReady(20s));
  nats::ConnectOptions o;
  o.url = fx.nats_url;
  auto bus = std::move(nats::Connection::connect(o)).value();
  REQUIRE(waitUntil([&] { return bus->connected(); }, 5s));
  SystemClock clock;
  Heartbeat hb;
  hb.agent_id = "skewed";
  hb.boot_id = "boot-1";
  hb.version = "1.0";
  hb.interval = 2000ms;
  hb.sent_at = clock.now() + 90s;  // the agent's clock runs 90 s ahead
  REQUIRE(bus->jsPublish(subjects::agentHeartbeat("skewed"), codec::encodeHeartbeat(hb),
                         "skewed.boot-1.hb1", 5s)
              .ok());
  if (!waitUntil(
          [&] {
            return count(ho.db_conninfo,
                         "SELECT count(*) FROM agents WHERE agent_id = 'skewed' AND "
                         "clock_skew_ms BETWEEN 85000 AND 95000") == 1;
          },
          10s)) {
    FAIL(hub.log());
  }
  const auto agents = getJson(hub.port(), "/api/v1/agents");
  REQUIRE(agents["agents"].size() == 1);
  CHECK(agents["agents"][0]["skew"]["direction"] == "ahead");
  CHECK(agents["agents"][0]["skew"]["ms"].get<long long>() > 85000);
  CHECK_THAT(hub.log(), Catch::Contains("agent skewed clock is"));
  hub.process().stop(SIGTERM);
}

TEST_CASE(
    "uptime totals for all services match the per-service totals as windows close, "
    "checkpoints run and a late checkpoint rewrites hours before the window",
    "[integration][status]") {
  const MigratedDb db("status_totals_cache");
  hub::store::PgPool pool(db.pg, 2, db.logger);
  hub::store::PgStatusStore store(pool);
  const SystemTime h0 = hub::policy::hourOf(SystemTime{std::chrono::seconds{1'800'000'000}});
  using hub::policy::Cause;
  using hub::policy::Transition;
  const auto H = HealthStatus::Healthy;
  const auto D = HealthStatus::Down;
  const auto G = HealthStatus::Degraded;
  // Ten services flipping at different minutes over ten hours, checkpoints every hour, and
  // "late", which stays healthy.
  for (int s = 0; s < 10; ++s) {
    REQUIRE(store
                .record({Transition{"svc-" + std::to_string(s), HealthStatus::Unknown, H,
                                    h0 + std::chrono::minutes{s * 7}, "ok", "a", "c", Cause::Check,
                                    true}})
                .ok());
  }
  REQUIRE(store
              .record({Transition{"late", HealthStatus::Unknown, H, h0, "ok", "b", "c",
                                  Cause::Check, true}})
              .ok());
  auto agree = [&](SystemTime since, SystemTime now) {
    auto all = store.totals(since, now, std::nullopt);
    REQUIRE(all.ok());
    REQUIRE(all->size() == 11);
    for (const auto& [name, seconds] : *all) {
      auto one = store.totals(since, now, name);
      REQUIRE(one.ok());
      INFO(name);
      CHECK(seconds.healthy == Approx(one->at(name).healthy));
      CHECK(seconds.degraded == Approx(one->at(name).degraded));
      CHECK(seconds.down == Approx(one->at(name).down));
      const SystemTime started =
          name == "late" ? h0 : h0 + std::chrono::minutes{7 * std::stoi(name.substr(4))};
      CHECK(seconds.total() == Approx(std::chrono::duration<double>(
                                          now - std::max(hub::policy::hourOf(since), started))
                                          .count()));
    }
    return *all;
  };
  for (int hour = 1; hour <= 10; ++hour) {
    for (int s = 0; s < 10; ++s) {
      if ((s + hour) % 3 == 0) {
        const auto at = h0 + std::chrono::hours{hour - 1} + std::chrono::minutes{10 + s * 4};
        const auto to = (s + hour) % 2 == 0 ? D : G;
        const std::string name = "svc-" + std::to_string(s);
        REQUIRE(
            store.record({Transition{name, H, to, at, "bad", "a", "c", Cause::Check, false}}).ok());
        REQUIRE(store
                    .record({Transition{name, to, H, at + std::chrono::minutes{3}, "ok", "a", "c",
                                        Cause::Check, false}})
                    .ok());
      }
    }
    REQUIRE(
        store.checkpoint(h0 + std::chrono::hours{hour}, h0 - std::chrono::hours{24 * 400}).ok());
    // The window starts 4 hours back: the boundary cache is used and refilled as hours pass.
    agree(h0 + std::chrono::hours{hour} - std::chrono::hours{4},
          h0 + std::chrono::hours{hour} + std::chrono::minutes{20});
  }
  // Rolled up to 10:00 only (the hub was away since), a window from 12:00 finds every service
  // unsettled: a transition at 11:00 then writes an hour before the window, and the next answer
  // must count it (a cached start-of-window total would still say healthy).
  const SystemTime from = h0 + std::chrono::hours{12};
  auto before = agree(from, h0 + std::chrono::hours{13});
  REQUIRE(store
              .record({Transition{"late", H, D, h0 + std::chrono::hours{11}, "gone", "b", "c",
                                  Cause::Check, false}})
              .ok());
  auto after = agree(from, h0 + std::chrono::hours{13});
  CHECK(after.at("late").down == Approx(3600));
  CHECK(after.at("late").healthy == Approx(0));
  CHECK(before.at("late").healthy == Approx(3600));
}
