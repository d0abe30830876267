// The one guard of agent actions against a real PostgreSQL: inbound events take the repair
// engine's path (RepairActionRunner -> RepairEngine::runAction -> PgRepairStore's guard), two
// hubs asked at once for the same (agent, action) let exactly one run through, and the schema
// upgrade merges the two guard tables of earlier versions. The agent is a counting fake
// (AgentCommands); the full hub + agent stack is in repair_test.cpp.
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

#include "common/log/log.hpp"
#include "common/metrics/metrics.hpp"
#include "common/time/clock.hpp"
#include "hub/events/repair_action_runner.hpp"
#include "hub/repair/pg_repair_store.hpp"
#include "hub/repair/repair_engine.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/store/migrations.hpp"
#include "hub/store/pg_pool.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/pg_query.hpp"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

class CountingAgent final : public hub::repair::AgentCommands {
 public:
  Result<hub::repair::AgentReply> send(const hub::repair::AgentCommand& c) override {
    std::lock_guard lock(mu);
    if (!c.dry_run) {
      commands.push_back(c);
    }
    hub::repair::AgentReply r;
    r.outcome = "ok";
    r.output = "ran " + c.action;
    return r;
  }
  std::size_t runs() {
    std::lock_guard lock(mu);
    return commands.size();
  }
  std::mutex mu;
  std::vector<hub::repair::AgentCommand> commands;
};

std::vector<hub::store::Migration> migrationsUpTo(int version) {
  auto all = hub::store::parseMigrations(hub::store::embeddedSchemaFiles());
  REQUIRE(all.ok());
  std::vector<hub::store::Migration> out;
  for (const auto& m : all.value()) {
    if (m.version <= version) {
      out.push_back(m);
    }
  }
  return out;
}

// One hub's share of the action path: its own store, engine and pool on a shared database.
struct Hub {
  Hub(const hub::store::PgConnectOptions& pg, CountingAgent& agent,
      std::shared_ptr<spdlog::logger> logger)
      : store(clock, hub::repair::GuardSettings{}),
        engine(state, {},
               hub::repair::pgRepairSessions(
                   store, [pg, logger] { return hub::store::PgConnection::connect(pg, logger); }),
               agent, clock, registry, logger, hub::repair::EngineSettings{}),
        pool(pg, 4, logger),
        runner(engine, store, pool) {}
  SystemClock clock;
  metrics::Registry registry;
  hub::state::HubState state;
  hub::repair::PgRepairStore store;
  hub::repair::RepairEngine engine;
  hub::store::PgPool pool;
  hub::events::RepairActionRunner runner;
};

hub::events::ActionRequest eventRequest(const std::string& action,
                                        std::chrono::milliseconds cooldown) {
  hub::events::ActionRequest r;
  r.service = "web";
  r.agent = "a1";
  r.action = action;
  r.requested_by = "key:1";
  r.reason = "inbound event";
  r.cooldown = cooldown;
  return r;
}

}  // namespace

TEST_CASE("two hubs asked at once for the same event action run it once per cooldown",
          "[integration][events]") {
  const auto fx = Fixture::load();
  hub::store::PgConnectOptions pg;
  pg.conninfo = fx.freshDatabase("event_guard");
  auto logger = log::makeLogger("test", log::LogOptions{"warn", log::Format::Text});
  {
    auto conn = hub::store::PgConnection::connect(pg, logger);
    REQUIRE(conn.ok());
    REQUIRE(hub::store::migrate(*conn.value(), migrationsUpTo(9999), *logger).ok());
  }
  CountingAgent agent;
  Hub hub_a(pg, agent, logger);
  Hub hub_b(pg, agent, logger);

  std::atomic<int> rejected{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto& hub = i % 2 == 0 ? hub_a : hub_b;
      auto reply = hub.runner.run(eventRequest("restart-web", 1h));
      if (reply.ok() && reply->outcome == "rejected") {
        ++rejected;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(agent.runs() == 1);
  CHECK(rejected == 7);
  // Every request is an auto_repairs row with the trigger "event"; one ran, seven were skipped.
  CHECK(count(pg.conninfo,
              "SELECT count(*) FROM auto_repairs WHERE trigger = 'event' AND "
              "status = 'succeeded'") == 1);
  CHECK(count(pg.conninfo,
              "SELECT count(*) FROM auto_repairs WHERE trigger = 'event' AND "
              "status = 'skipped'") == 7);
  CHECK(count(pg.conninfo, "SELECT count(*) FROM audit_log WHERE action = 'repair.execute'") == 1);
  // Another action is its own guard; a zero cooldown does not wait for the last start.
  auto other = hub_b.runner.run(eventRequest("flush-cache", 1h));
  REQUIRE(other.ok());
  CHECK(other->outcome == "ok");
  CHECK(agent.runs() == 2);
  auto no_cooldown = hub_a.runner.run(eventRequest("restart-web", 0ms));
  REQUIRE(no_cooldown.ok());
  CHECK(no_cooldown->outcome == "ok");
  CHECK(agent.runs() == 3);
  auto again = hub_a.runner.run(eventRequest("restart-web", 1h));
  REQUIRE(again.ok());
  CHECK(again->outcome == "rejected");
  CHECK(again->error.find("cooldown") != std::string::npos);
  CHECK(agent.runs() == 3);
  // The agent was asked with the row's idempotency key and the event's parameters.
  auto with_params = eventRequest("append", 0ms);
  with_params.params = {{"line", "x"}};
  REQUIRE(hub_a.runner.run(with_params).ok());
  REQUIRE(agent.runs() == 4);
  CHECK(agent.commands.back().params.at("line") == "x");
  CHECK(agent.commands.back().request_id.rfind("repair-", 0) == 0);
}

TEST_CASE("an event for a service whose policy needs approval runs nothing until approved",
          "[integration][events]") {
  const auto fx = Fixture::load();
  hub::store::PgConnectOptions pg;
  pg.conninfo = fx.freshDatabase("event_approval");
  auto logger = log::makeLogger("test", log::LogOptions{"warn", log::Format::Text});
  auto conn = hub::store::PgConnection::connect(pg, logger);
  REQUIRE(conn.ok());
  REQUIRE(hub::store::migrate(*conn.value(), migrationsUpTo(9999), *logger).ok());
  CountingAgent agent;
  Hub hub(pg, agent, logger);
  auto policy = hub::repair::defaultPolicy("web", false);
  policy.require_approval = true;
  REQUIRE(hub.store.putPolicy(*conn.value(), policy, "test").ok());

  auto request = eventRequest("append", 0ms);
  request.params = {{"line", "approved"}};
  auto pending = hub.runner.run(request);
  REQUIRE(pending.ok());
  CHECK(pending->outcome == "pending-approval");
  CHECK(pending->error.find("/api/v1/approvals/" + std::to_string(pending->repair_id)) !=
        std::string::npos);
  CHECK(agent.runs() == 0);

  // Rejected: never runs.
  auto rejected = hub.runner.run(request);
  REQUIRE(rejected.ok());
  REQUIRE(rejected->outcome == "pending-approval");
  hub::repair::PgRepairSession session(hub.store, *conn.value());
  auto no = hub.engine.decideApproval(session, rejected->repair_id, false, "key:9");
  REQUIRE(no.ok());
  CHECK(no->message == "rejected");

  // Approved: runs once, on the engine's worker, with the event's parameters.
  hub.engine.start();
  auto yes = hub.engine.decideApproval(session, pending->repair_id, true, "key:9");
  REQUIRE(yes.ok());
  CHECK(yes->http_status == 202);
  CHECK(waitUntil([&] { return agent.runs() > 0; }, 10s));
  hub.engine.stop();
  REQUIRE(agent.runs() == 1);
  CHECK(agent.commands[0].params.at("line") == "approved");
  CHECK(agent.commands[0].request_id == "repair-" + std::to_string(pending->repair_id));
  auto again = hub.engine.decideApproval(session, pending->repair_id, true, "key:9");
  REQUIRE(again.ok());
  CHECK(again->http_status == 409);
  CHECK(agent.runs() == 1);
  CHECK(
      count(pg.conninfo,
            "SELECT count(*) FROM auto_repairs WHERE trigger = 'event' AND status = 'rejected'") ==
      1);
}

TEST_CASE("schema 11 merges the repair and event guards keeping the newest start per action",
          "[integration][events]") {
  const auto fx = Fixture::load();
  hub::store::PgConnectOptions pg;
  pg.conninfo = fx.freshDatabase("guard_merge");
  auto logger = log::makeLogger("test", log::LogOptions{"warn", log::Format::Text});
  auto conn = hub::store::PgConnection::connect(pg, logger);
  REQUIRE(conn.ok());
  auto& c = *conn.value();
  REQUIRE(hub::store::migrate(c, migrationsUpTo(10), *logger).ok());
  REQUIRE(c.exec("INSERT INTO repair_guard VALUES "
                 "('a1', 'restart-web', '2026-01-01T10:00:00Z', 7), "
                 "('a1', 'restart-db', '2026-01-01T12:00:00Z', 8), "
                 "('a2', 'restart-web', '2026-01-01T10:00:00Z', 9)")
              .ok());
  REQUIRE(c.exec("INSERT INTO event_action_guard VALUES "
                 "('a1', 'restart-web', '2026-01-01T11:00:00Z', 'event-3'), "
                 "('a1', 'restart-db', '2026-01-01T11:00:00Z', 'event-4'), "
                 "('a3', 'flush', '2026-01-01T09:00:00Z', 'event-5')")
              .ok());
  REQUIRE(hub::store::migrate(c, migrationsUpTo(9999), *logger).ok());

  auto rows = c.exec(
      "SELECT agent_id || '/' || action || ' ' || request_id || ' ' || "
      "to_char(last_started_at AT TIME ZONE 'UTC', 'HH24:MI') FROM action_guard "
      "ORDER BY agent_id, action");
  REQUIRE(rows.ok());
  CHECK(rows->strings(0) ==
        std::vector<std::string>{"a1/restart-db repair-8 12:00", "a1/restart-web event-3 11:00",
                                 "a2/restart-web repair-9 10:00", "a3/flush event-5 09:00"});
  CHECK(count(pg.conninfo,
              "SELECT count(*) FROM pg_tables WHERE tablename IN "
              "('repair_guard', 'event_action_guard')") == 0);
}
