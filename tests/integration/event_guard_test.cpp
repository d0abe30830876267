// The cross-hub cooldown of inbound-event actions against a real PostgreSQL: two guards (two
// hubs) asked at once for the same (agent, action) let exactly one run through.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "common/log/log.hpp"
#include "hub/events/guarded_action_runner.hpp"
#include "hub/store/migrations.hpp"
#include "tests/support/fixture.hpp"

using namespace vitals;
using namespace vitals::test;

namespace {

class CountingRunner final : public hub::events::ActionRunner {
 public:
  std::atomic<int> runs{0};
  Result<hub::events::ActionReply> run(const hub::events::ActionRequest&) override {
    ++runs;
    hub::events::ActionReply r;
    r.outcome = "ok";
    return r;
  }
};

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
    auto migrations = hub::store::parseMigrations(hub::store::embeddedSchemaFiles());
    REQUIRE(migrations.ok());
    REQUIRE(hub::store::migrate(*conn.value(), migrations.value(), *logger).ok());
  }
  hub::store::PgPool pool_a(pg, 4, logger);
  hub::store::PgPool pool_b(pg, 4, logger);
  CountingRunner inner;
  hub::events::GuardedActionRunner hub_a(inner, pool_a);
  hub::events::GuardedActionRunner hub_b(inner, pool_b);

  auto request = [](const std::string& id, const std::string& action,
                    std::chrono::milliseconds cooldown) {
    hub::events::ActionRequest r;
    r.request_id = id;
    r.agent = "a1";
    r.action = action;
    r.cooldown = cooldown;
    return r;
  };
  std::atomic<int> rejected{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto& guard = i % 2 == 0 ? hub_a : hub_b;
      auto reply =
          guard.run(request("event-" + std::to_string(i), "restart-web", std::chrono::hours{1}));
      if (reply.ok() && reply->outcome == "rejected") {
        ++rejected;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(inner.runs == 1);
  CHECK(rejected == 7);
  // Another action is its own guard; no cooldown means no guard.
  REQUIRE(hub_b.run(request("event-x", "flush-cache", std::chrono::hours{1})).ok());
  CHECK(inner.runs == 2);
  REQUIRE(hub_a.run(request("event-y", "restart-web", std::chrono::milliseconds{0})).ok());
  CHECK(inner.runs == 3);
  auto again = hub_a.run(request("event-z", "restart-web", std::chrono::hours{1}));
  REQUIRE(again.ok());
  CHECK(again->outcome == "rejected");
  CHECK(again->error.find("cooldown") != std::string::npos);
  CHECK(inner.runs == 3);
}
