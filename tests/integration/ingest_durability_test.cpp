// Reliability rules 1, 2 and the malformed-message path, against real nats-server + PostgreSQL.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <optional>
#include <thread>

#include "common/model/codec.hpp"
#include "common/nats/nats_client.hpp"
#include "common/nats/subjects.hpp"
#include "tests/support/pg_query.hpp"
#include "tests/support/stack.hpp"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<nats::Connection> connectBus(const Fixture& fx) {
  nats::ConnectOptions o;
  o.url = fx.nats_url;
  o.name = "test-publisher";
  auto conn = nats::Connection::connect(o);
  REQUIRE(conn.ok());
  REQUIRE(waitUntil([&] { return conn.value()->connected(); }, 5s));
  return std::move(conn).value();
}

ResultBatch makeBatch(const std::string& agent, const std::string& boot, std::uint64_t first,
                      int n) {
  ResultBatch b{agent, boot, {}};
  for (int i = 0; i < n; ++i) {
    CheckResult r;
    r.agent_id = agent;
    r.boot_id = boot;
    r.seq = first + static_cast<std::uint64_t>(i);
    r.service = "svc-" + std::to_string(i % 5);
    r.check = "check-" + std::to_string(i % 10);
    r.kind = "tcp";
    r.status = HealthStatus::Healthy;
    r.raw_status = HealthStatus::Healthy;
    r.latency = std::chrono::microseconds{1000 + i};
    r.message = "ok";
    r.observed_at = std::chrono::system_clock::now();
    b.results.push_back(std::move(r));
  }
  return b;
}

}  // namespace

TEST_CASE("hub killed with SIGKILL under load: every acknowledged result is stored exactly once",
          "[integration][durability]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  const auto dir = fx.workDir("sigkill");
  HubOptions ho;
  ho.db_conninfo = fx.freshDatabase("sigkill");
  ho.http_port = freeTcpPort();
  ho.batch_size = 50;
  auto hub = std::make_unique<HubProcess>(fx, dir, ho);
  if (!hub->waitReady(20s)) {
    FAIL("hub did not become ready:\n" << hub->log());
  }

  auto bus = connectBus(fx);
  const std::string agent = "load-agent";
  const std::string boot = "boot1";
  constexpr int kBatches = 600;
  constexpr int kPerBatch = 20;
  std::uint64_t acked_results = 0;
  std::uint64_t max_acked_seq = 0;
  int kills = 0;
  std::vector<std::string> payloads;
  for (int b = 0; b < kBatches; ++b) {
    const auto batch =
        makeBatch(agent, boot, 1 + static_cast<std::uint64_t>(b) * kPerBatch, kPerBatch);
    const auto payload = codec::encodeBatch(batch);
    payloads.push_back(payload);
    // Publish until acknowledged: what the agent does. The server dedups by message id.
    for (int attempt = 0; attempt < 50; ++attempt) {
      auto ack =
          bus->jsPublish(subjects::agentResults(agent), payload, codec::batchMessageId(batch), 2s);
      if (ack.ok()) {
        acked_results += kPerBatch;
        max_acked_seq = batch.results.back().seq;
        break;
      }
      std::this_thread::sleep_for(50ms);
    }
    // Kill the hub twice while it is ingesting, restart it after more publishing.
    if (b == 150 || b == 350) {
      hub->process().signal(SIGKILL);
      hub->process().waitExit(5000);
      ++kills;
    }
    if (b == 250 || b == 450) {
      hub = std::make_unique<HubProcess>(fx, dir, ho);
      REQUIRE(hub->waitReady(20s));
    }
  }
  REQUIRE(kills == 2);
  REQUIRE(acked_results == kBatches * kPerBatch);

  // A replay after the server's dedup window (an agent re-sending what it had) gets past
  // JetStream's dedup; simulate it with new message ids. The database key drops it.
  for (int b = 0; b < 30; ++b) {
    REQUIRE(bus->jsPublish(subjects::agentResults(agent), payloads[static_cast<std::size_t>(b)],
                           "replay." + std::to_string(b), 2s)
                .ok());
  }

  const auto sql_count = "SELECT count(*) FROM health_checks WHERE agent_id = 'load-agent'";
  INFO("hub log:\n" << hub->log());
  REQUIRE(waitUntil(
      [&] {
        auto st = bus->consumerState("VITALS", "vitals-hub");
        return st.ok() && st->num_pending == 0 && st->num_ack_pending == 0 &&
               count(ho.db_conninfo, sql_count) >= static_cast<long long>(acked_results);
      },
      60s));
  CHECK(count(ho.db_conninfo, sql_count) == static_cast<long long>(acked_results));
  CHECK(count(ho.db_conninfo,
              "SELECT count(DISTINCT (agent_id, boot_id, seq)) FROM health_checks "
              "WHERE agent_id = 'load-agent'") == static_cast<long long>(acked_results));
  CHECK(count(ho.db_conninfo, "SELECT max(seq) FROM health_checks WHERE agent_id = 'load-agent'") ==
        static_cast<long long>(max_acked_seq));
  const auto metrics = httpGet(hub->port(), "/metrics");
  CHECK(metricValue(metrics.body, "vitals_ingest_duplicates_total") >= 30 * kPerBatch);
}

TEST_CASE("garbage and forged payloads are rejected, counted and not redelivered forever",
          "[integration][ingest]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  const auto dir = fx.workDir("garbage");
  HubOptions ho;
  ho.db_conninfo = fx.freshDatabase("garbage");
  ho.http_port = freeTcpPort();
  HubProcess hub(fx, dir, ho);
  if (!hub.waitReady(20s)) {
    FAIL("hub did not become ready:\n" << hub.log());
  }
  auto bus = connectBus(fx);

  {
    auto r = bus->jsPublish(subjects::agentResults("junk-agent"), std::string("\xff\x00garbage", 9),
                            "junk.1", 2s);
    INFO((r.ok() ? std::string("ok") : r.error().describe()));
    REQUIRE(r.ok());
  }
  // A well-formed batch for agent "victim" published on agent "mallory"'s subject.
  const auto forged = makeBatch("victim", "b", 1, 3);
  REQUIRE(
      bus->jsPublish(subjects::agentResults("mallory"), codec::encodeBatch(forged), "forged.1", 2s)
          .ok());
  // And a good one afterwards: the hub keeps going.
  const auto good = makeBatch("good-agent", "b", 1, 4);
  REQUIRE(bus->jsPublish(subjects::agentResults("good-agent"), codec::encodeBatch(good),
                         codec::batchMessageId(good), 2s)
              .ok());

  INFO("hub log:\n" << hub.log());
  REQUIRE(waitUntil(
      [&] {
        return count(ho.db_conninfo,
                     "SELECT count(*) FROM health_checks WHERE agent_id = 'good-agent'") == 4;
      },
      20s));
  const auto metrics = httpGet(hub.port(), "/metrics").body;
  CHECK(metricValue(metrics, "vitals_ingest_malformed_total") == 1);
  CHECK(metricValue(metrics, "vitals_ingest_rejected_total") == 1);
  CHECK(count(ho.db_conninfo, "SELECT count(*) FROM health_checks WHERE agent_id = 'victim'") == 0);
  // Terminated, not left to redeliver.
  REQUIRE(waitUntil(
      [&] {
        auto st = bus->consumerState("VITALS", "vitals-hub");
        return st.ok() && st->num_ack_pending == 0 && st->num_pending == 0;
      },
      10s));
  CHECK(httpGet(hub.port(), "/healthz").status == 200);
}

namespace {

// Publishes one result for `agent` and returns how long it took until its row was committed
// (polled every 5 ms), or nullopt after `limit`.
std::optional<std::chrono::milliseconds> lonePublishToRow(nats::Connection& bus,
                                                          const std::string& conninfo,
                                                          const std::string& agent,
                                                          std::chrono::milliseconds limit) {
  const auto batch = makeBatch(agent, "b", 1, 1);
  const auto start = std::chrono::steady_clock::now();
  auto published = bus.jsPublish(subjects::agentResults(agent), codec::encodeBatch(batch),
                                 codec::batchMessageId(batch), 2s);
  if (!published.ok()) {
    return std::nullopt;
  }
  const std::string sql = "SELECT count(*) FROM health_checks WHERE agent_id = '" + agent + "'";
  while (std::chrono::steady_clock::now() - start < limit) {
    if (count(conninfo, sql) == 1) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
    }
    std::this_thread::sleep_for(5ms);
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("a lone result on a quiet stream is committed after max_delay, not after a full batch",
          "[integration][ingest]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  const auto dir = fx.workDir("lone-result");
  HubOptions ho;
  ho.db_conninfo = fx.freshDatabase("lone_result");
  ho.http_port = freeTcpPort();
  ho.batch_size = 500;
  ho.fetch_timeout = "4s";  // a fetch for a whole batch would hold the result this long
  ho.max_delay = "300ms";
  HubProcess hub(fx, dir, ho);
  if (!hub.waitReady(20s)) {
    FAIL("hub did not become ready:\n" << hub.log());
  }
  auto bus = connectBus(fx);
  INFO("hub log:\n" << hub.log());
  // Twice: the first one also meets a consumer that was idle since the start.
  for (const std::string agent : {"lone-1", "lone-2"}) {
    const auto took = lonePublishToRow(*bus, ho.db_conninfo, agent, 10s);
    REQUIRE(took.has_value());
    CHECK(*took >= 250ms);  // the window stays open max_delay for more messages...
    CHECK(*took < 2500ms);  // ...and then commits without waiting for a full batch
  }
  REQUIRE(waitUntil(
      [&] {
        auto st = bus->consumerState("VITALS", "vitals-hub");
        return st.ok() && st->num_ack_pending == 0 && st->num_pending == 0;
      },
      10s));
}
