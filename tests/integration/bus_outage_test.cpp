// Reliability rule 4 (first slice): while nats-server is away the agent keeps its results and
// publishes them in order, with their original ids, when the bus returns.
#include <signal.h>

#include <catch2/catch.hpp>
#include <thread>

#include "tests/support/pg_query.hpp"
#include "tests/support/stack.hpp"

using namespace vitals::test;
using namespace std::chrono_literals;

TEST_CASE("results produced while nats-server is down arrive after it returns, in order, "
          "without gaps or duplicates",
          "[integration][outage]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  const auto dir = fx.workDir("outage");
  HubOptions ho;
  ho.db_conninfo = fx.freshDatabase("outage");
  ho.http_port = freeTcpPort();
  HubProcess hub(fx, dir, ho);
  if (!hub.waitReady(20s)) {
    FAIL("hub did not become ready:\n" << hub.log());
  }
  // A check of something that stays up regardless of NATS: the hub's own /healthz.
  const std::string checks = "  - name: hub-healthz\n    service: hub\n    kind: http\n"
                             "    url: http://127.0.0.1:" + std::to_string(hub.port()) +
                             "/healthz\n    interval: 200ms\n    timeout: 150ms\n";
  AgentProcess agent(fx, dir, "outage-agent", checks);
  const auto rows = [&] {
    return count(ho.db_conninfo,
                 "SELECT count(*) FROM health_checks WHERE agent_id = 'outage-agent'");
  };
  INFO("agent log:\n" << agent.log() << "\nhub log:\n" << hub.log());
  REQUIRE(waitUntil([&] { return rows() >= 3; }, 20s));

  REQUIRE(stopNats(fx));
  const auto during_outage = rows();
  std::this_thread::sleep_for(3s);  // the agent keeps probing: ~15 results while the bus is away
  CHECK(rows() == during_outage);   // nothing could have arrived
  REQUIRE(startNats(fx));

  // Everything the agent produced while the bus was away arrives, and then keeps arriving.
  REQUIRE(waitUntil([&] { return rows() >= during_outage + 15; }, 30s));
  REQUIRE(agent.process().running());
  agent.process().stop(SIGTERM);
  // Let the final flush land, then check the sequence is gap-free and duplicate-free per boot.
  waitUntil([&] { return false; }, 2s);
  const auto r = query(ho.db_conninfo,
                       "SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM health_checks "
                       "WHERE agent_id = 'outage-agent' GROUP BY boot_id");
  REQUIRE(r.size() == 1);
  const auto n = std::stoll(r[0][0]);
  CHECK(std::stoll(r[0][1]) == n);  // no duplicates
  CHECK(std::stoll(r[0][2]) == 1);  // nothing lost at the start
  CHECK(std::stoll(r[0][3]) == n);  // and no gaps
}
