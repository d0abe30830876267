// Two hubs (replicas) of one site behind one durable consumer, against real nats-server and
// PostgreSQL: they answer the same within 1 s of every change, and the once-per-site jobs move
// to the survivor when the holder is killed (SIGKILL), never running on both at once.
#include <signal.h>
#include <sys/stat.h>

#include <httplib.h>
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/model/codec.hpp"
#include "common/nats/nats_client.hpp"
#include "common/nats/subjects.hpp"
#include "tests/support/http_peers.hpp"
#include "tests/support/pg_query.hpp"
#include "tests/support/stack.hpp"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;
using json = nlohmann::json;
using Steady = std::chrono::steady_clock;

namespace {

std::unique_ptr<nats::Connection> connectBus(const Fixture& fx) {
  nats::ConnectOptions o;
  o.url = fx.nats_url;
  o.name = "replica-test-publisher";
  auto conn = nats::Connection::connect(o);
  REQUIRE(conn.ok());
  REQUIRE(waitUntil([&] { return conn.value()->connected(); }, 5s));
  return std::move(conn).value();
}

// Agents "agent-<i>" each with one check of service "svc-<i>"; results published as agents do.
class FakeAgents {
 public:
  FakeAgents(nats::Connection& bus, std::string boot) : bus_(bus), boot_(std::move(boot)) {}
  void publish(int i, HealthStatus status) {
    const std::string agent = "agent-" + std::to_string(i);
    ResultBatch b{agent, boot_, {}};
    CheckResult r;
    r.agent_id = agent;
    r.boot_id = boot_;
    r.seq = ++seq_[i];
    r.service = "svc-" + std::to_string(i);
    r.check = "check";
    r.kind = "tcp";
    r.status = status;
    r.raw_status = status;
    r.message = status == HealthStatus::Healthy ? "ok" : "refused";
    r.observed_at = std::chrono::system_clock::now();
    b.results.push_back(r);
    const auto payload = codec::encodeBatch(b);
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (bus_.jsPublish(subjects::agentResults(agent), payload, codec::batchMessageId(b), 2s)
              .ok()) {
        return;
      }
      std::this_thread::sleep_for(50ms);
    }
    FAIL("cannot publish to JetStream");
  }

 private:
  nats::Connection& bus_;
  std::string boot_;
  std::map<int, std::uint64_t> seq_;
};

std::map<std::string, std::string> statuses(int port) {
  std::map<std::string, std::string> out;
  const auto reply = httpGet(port, "/api/v1/services");
  if (reply.status != 200) {
    return out;
  }
  const auto body = json::parse(reply.body, nullptr, false);
  if (body.is_discarded()) {
    return out;
  }
  for (const auto& s : body["services"]) {
    out[s["name"].get<std::string>()] = s["status"].get<std::string>();
  }
  return out;
}

std::set<std::string> jobsHeld(int port) {
  std::set<std::string> out;
  const auto reply = httpGet(port, "/api/v1/hub");
  if (reply.status != 200) {
    return out;
  }
  const auto body = json::parse(reply.body, nullptr, false);
  if (!body.is_discarded()) {
    for (const auto& j : body["jobs_held"]) {
      out.insert(j.get<std::string>());
    }
  }
  return out;
}

HubOptions replicaOptions(const std::string& db, const std::string& replica,
                          const std::string& extra = "") {
  HubOptions o;
  o.hub_id = "site-a";
  o.db_conninfo = db;
  o.http_port = freeTcpPort();
  o.batch_size = 20;
  // The tests poll both replicas every few milliseconds: no per-key rate limit (a 429 would
  // read as "no jobs held" or "no services").
  o.extra_yaml = "replica:\n  id: " + replica + "\n  lease_interval: 200ms\n" +
                 "staleness:\n  sweep_interval: 500ms\n" +
                 "api:\n  rate_limit:\n    requests_per_second: 0\n" + extra;
  return o;
}

std::size_t lineCount(const std::string& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    n += line.empty() ? 0 : 1;
  }
  return n;
}

double metric(int port, const std::string& name) {
  return metricValue(httpGet(port, "/metrics").body, name);
}

}  // namespace

TEST_CASE("two replicas agree within 1 s across 1,000 changes", "[integration][replica]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  const auto db = fx.freshDatabase("replica_agree");
  const auto dir_a = fx.workDir("replica-agree-a");
  const auto dir_b = fx.workDir("replica-agree-b");
  HubProcess a(fx, dir_a, replicaOptions(db, "r1"));
  if (!a.waitReady(30s)) {
    FAIL("replica r1 did not become ready:\n" << a.log());
  }
  HubProcess b(fx, dir_b, replicaOptions(db, "r2"));
  if (!b.waitReady(30s)) {
    FAIL("replica r2 did not become ready:\n" << b.log());
  }
  auto bus = connectBus(fx);
  FakeAgents agents(*bus, "boot-1");

  constexpr int kServices = 20;
  constexpr int kRounds = 50;  // 50 x 20 = 1,000 changes
  const int ports[2] = {a.port(), b.port()};
  std::map<std::string, std::string> expected;
  Steady::duration worst_lag{0};
  int changes = 0;
  for (int round = 0; round < kRounds; ++round) {
    const auto status = round % 2 == 0 ? HealthStatus::Down : HealthStatus::Healthy;
    for (int i = 0; i < kServices; ++i) {
      agents.publish(i, status);
      expected["svc-" + std::to_string(i)] = std::string(toString(status));
      ++changes;
    }
    // The client alternates between the replicas and notes when each first shows each change.
    std::map<std::string, Steady::time_point> seen[2];
    const auto deadline = Steady::now() + 15s;
    int turn = 0;
    while (Steady::now() < deadline &&
           (seen[0].size() < expected.size() || seen[1].size() < expected.size())) {
      const auto got = statuses(ports[turn]);
      const auto now = Steady::now();
      for (const auto& [name, want] : expected) {
        auto it = got.find(name);
        if (it != got.end() && it->second == want) {
          seen[turn].try_emplace(name, now);
        }
      }
      turn = 1 - turn;
    }
    INFO("round " << round << "\nr1 log:\n" << a.log() << "\nr2 log:\n" << b.log());
    REQUIRE(seen[0].size() == expected.size());
    REQUIRE(seen[1].size() == expected.size());
    for (const auto& [name, t0] : seen[0]) {
      const auto t1 = seen[1].at(name);
      worst_lag = std::max(worst_lag, t0 > t1 ? t0 - t1 : t1 - t0);
    }
  }
  CHECK(changes == 1000);
  const auto lag_ms = std::chrono::duration_cast<std::chrono::milliseconds>(worst_lag).count();
  std::printf("replica agreement: %d changes, worst lag between replicas %lld ms\n", changes,
              static_cast<long long>(lag_ms));
  CHECK(lag_ms < 1000);
  // Both replicas did a share of the ingest, and each applied the other's updates.
  CHECK(metric(a.port(), "vitals_ingest_batches_total") > 0);
  CHECK(metric(b.port(), "vitals_ingest_batches_total") > 0);
  CHECK(metric(a.port(), "vitals_replica_updates_applied_total") > 0);
  CHECK(metric(b.port(), "vitals_replica_updates_applied_total") > 0);
  CHECK(statuses(a.port()) == statuses(b.port()));
  // Each job runs on exactly one of them, and GET /api/v1/hub names the holder. The loop above
  // used up this key's per-second request budget: let it refill first.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const auto held_a = jobsHeld(a.port());
  const auto held_b = jobsHeld(b.port());
  for (const std::string job : {"sweeper", "partitions", "summary", "log_stats"}) {
    CHECK(held_a.count(job) + held_b.count(job) == 1);
  }
  const auto hub_reply = httpGet(a.port(), "/api/v1/hub");
  INFO("GET /api/v1/hub: " << hub_reply.status << " " << hub_reply.body);
  REQUIRE(hub_reply.status == 200);
  const auto hub = json::parse(hub_reply.body);
  CHECK(hub["replica_id"] == "r1");
  CHECK(hub["hub_id"] == "site-a");
  REQUIRE(hub["jobs"].size() == 4);
  for (const auto& j : hub["jobs"]) {
    CHECK(j["live"] == true);
    CHECK((j["holder"] == "r1" || j["holder"] == "r2"));
  }
}

// Also prints the failover time (docs/benchmarks.md). Earlier it failed to settle about one run
// in seven: the watcher polled both replicas every 20 ms and ran into the per-key rate limit, so
// a replica's list came back 429 and read as empty; the replicas' API here has no rate limit.
TEST_CASE(
    "failover: SIGKILL the lease holder 20 times during bursts, notices and repair cooldown hold",
    "[integration][replica][failover]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  const auto db = fx.freshDatabase("replica_failover");
  WebhookReceiver rx;
  const auto secret_dir = fx.workDir("replica-failover");
  writeFile(secret_dir + "/secret", "alert-secret");
  const std::string alerting =
      "notify:\n  poll_interval: 100ms\n  channels:\n    ops:\n      type: webhook\n"
      "      url: \"" +
      rx.url("/ops") + "\"\n      secret_file: " + secret_dir + "/secret\n" +
      "alerts:\n  default_channels: [ops]\n  tick_interval: 200ms\n";
  HubOptions opts[2] = {replicaOptions(db, "r1", alerting), replicaOptions(db, "r2", alerting)};
  const std::string dirs[2] = {fx.workDir("replica-failover-r1"),
                               fx.workDir("replica-failover-r2")};
  std::unique_ptr<HubProcess> hubs[2];
  for (int i = 0; i < 2; ++i) {
    hubs[i] = std::make_unique<HubProcess>(fx, dirs[i], opts[i]);
    if (!hubs[i]->waitReady(30s)) {
      FAIL("replica did not become ready:\n" << hubs[i]->log());
    }
    opts[i].create_admin_key = false;  // restarts reuse the key registered for the port
  }
  auto bus = connectBus(fx);
  FakeAgents agents(*bus, "boot-1");
  constexpr int kServices = 6;

  // One real agent whose service "web" flaps with the bursts, under a repair policy with an
  // hour's cooldown: across all the failovers its restart runs exactly once.
  const std::string web_state = secret_dir + "/web-state";
  const std::string restarts = secret_dir + "/restarts";
  const std::string restart_script = secret_dir + "/restart-web.sh";
  writeFile(web_state, "0\n");
  writeFile(restart_script, "#!/bin/sh\ndate +%s%N >> " + restarts + "\necho restarted\n");
  ::chmod(restart_script.c_str(), 0755);
  writeFile(secret_dir + "/agent.yaml",
            "agent_id: failover-agent\nnats:\n  url: " + fx.nats_url +
                "\nheartbeat_interval: 2s\npublish:\n  max_delay: 50ms\n"
                "actions:\n  restart-web:\n    argv: [" +
                restart_script +
                "]\n    timeout: 10s\n"
                "checks:\n  - name: web-exec\n    service: web\n    kind: exec\n"
                "    argv: [/bin/sh, -c, \"exit $(cat " +
                web_state +
                ")\"]\n    interval: 200ms\n    timeout: 150ms\n    retries: 1\n    recover: 1\n");
  ChildProcess web_agent({fx.bin_dir + "/vitals-agent", "--config", secret_dir + "/agent.yaml"},
                         secret_dir + "/agent.log", fx.run_dir + "/pids");
  // Stored by the engine's scan (before that, GET answers the effective default).
  REQUIRE(waitUntil(
      [&] {
        const auto r = httpGet(hubs[0]->port(), "/api/v1/policies/web");
        return r.status == 200 &&
               json::parse(r.body, nullptr, false).value("source", "") == "stored";
      },
      30s));
  const json policy = {{"enabled", true},          {"actions", {{"unexpected", "restart-web"}}},
                       {"cooldown_seconds", 3600}, {"verify_after_seconds", 1},
                       {"max_attempts", 100},      {"circuit_breaker", 100}};
  const auto put = httpRequest(hubs[0]->port(), "PUT", "/api/v1/policies/web", policy.dump());
  INFO(put.body);
  REQUIRE(put.status == 200);

  // Watches both replicas all along: a job held by both at once is a failure.
  std::atomic<bool> watching{true};
  std::atomic<int> overlaps{0};
  std::thread watcher([&] {
    while (watching) {
      const auto a = jobsHeld(hubs[0]->port());
      const auto b = jobsHeld(hubs[1]->port());
      for (const auto& j : a) {
        overlaps += b.count(j) > 0 ? 1 : 0;
      }
      std::this_thread::sleep_for(20ms);
    }
  });

  std::vector<double> failover_ms;
  HealthStatus status = HealthStatus::Down;
  for (int kill = 0; kill < 20; ++kill) {
    int holder = -1;
    REQUIRE(waitUntil(
        [&] {
          for (int i = 0; i < 2; ++i) {
            if (jobsHeld(hubs[i]->port()).count("sweeper") > 0) {
              holder = i;
              return true;
            }
          }
          return false;
        },
        10s));
    const int survivor = 1 - holder;
    // A burst of transitions, with the kill somewhere inside it.
    const int kill_at = kill % kServices;
    for (int i = 0; i < kServices; ++i) {
      if (i == kill_at) {
        hubs[holder]->process().signal(SIGKILL);
        const auto killed = Steady::now();
        REQUIRE(
            waitUntil([&] { return jobsHeld(hubs[survivor]->port()).count("sweeper") > 0; }, 10s));
        failover_ms.push_back(
            std::chrono::duration<double, std::milli>(Steady::now() - killed).count());
        hubs[holder]->process().waitExit(5000);
      }
      agents.publish(i, status);
    }
    writeFile(web_state, status == HealthStatus::Down ? "2\n" : "0\n");
    status = status == HealthStatus::Down ? HealthStatus::Healthy : HealthStatus::Down;
    hubs[holder] = std::make_unique<HubProcess>(fx, dirs[holder], opts[holder]);
    if (!hubs[holder]->waitReady(30s)) {
      FAIL("restarted replica did not become ready:\n" << hubs[holder]->log());
    }
  }
  // The last burst settles: both replicas show it, and every notification went out.
  const std::string last = std::string(
      toString(status == HealthStatus::Down ? HealthStatus::Healthy : HealthStatus::Down));
  const auto settled = [&] {
    for (int i = 0; i < 2; ++i) {
      const auto got = statuses(hubs[i]->port());
      for (int s = 0; s < kServices; ++s) {
        auto it = got.find("svc-" + std::to_string(s));
        if (it == got.end() || it->second != last) {
          return false;
        }
      }
    }
    return count(
               db,
               "SELECT count(*) FROM notification_outbox WHERE status IN ('pending', 'sending')") ==
           0;
  };
  const bool converged = waitUntil(settled, 60s);
  watching = false;
  watcher.join();
  INFO("r1 log:\n" << hubs[0]->log() << "\nr2 log:\n" << hubs[1]->log());
  if (!converged) {
    // Say which part did not settle: a replica's view, or the outbox.
    for (int i = 0; i < 2; ++i) {
      UNSCOPED_INFO("r" << i + 1 << " GET /api/v1/services: "
                        << httpGet(hubs[i]->port(), "/api/v1/services").status);
      for (const auto& [name, st] : statuses(hubs[i]->port())) {
        UNSCOPED_INFO("r" << i + 1 << " shows " << name << " " << st);
      }
    }
    UNSCOPED_INFO("expected every service " << last << "; outbox not settled: "
                                            << count(db,
                                                     "SELECT count(*) FROM notification_outbox "
                                                     "WHERE status IN ('pending', 'sending')"));
  }
  REQUIRE(converged);
  CHECK(overlaps == 0);
  // web went down about ten times across the failovers; one restart per cooldown.
  CHECK(count(db,
              "SELECT count(*) FROM status_changes WHERE service = 'web' AND "
              "to_status = 'down'") >= 2);
  CHECK(waitUntil([&] { return lineCount(restarts) >= 1; }, 15s));
  CHECK(lineCount(restarts) == 1);
  CHECK(count(db,
              "SELECT count(*) FROM auto_repairs WHERE status = 'skipped' AND "
              "reasons::text LIKE '%cooldown%'") >= 1);

  // Every transition that pages (to down; down -> healthy is the recovery) was notified at
  // least once; at most one duplicate per failover.
  const auto posts = rx.received("/ops");
  std::map<std::string, std::set<std::string>> keys_by_service;
  std::size_t service_posts = 0;
  for (const auto& p : posts) {
    const auto body = json::parse(p.body, nullptr, false);
    if (body.is_discarded() || !body.contains("service")) {
      continue;
    }
    const auto service = body["service"].get<std::string>();
    if (service.rfind("svc-", 0) != 0) {
      continue;  // the grouped "agents unreachable" incident is not part of this count
    }
    ++service_posts;
    keys_by_service[service].insert(p.key);
  }
  std::size_t distinct = 0;
  for (int s = 0; s < kServices; ++s) {
    const auto service = "svc-" + std::to_string(s);
    const auto paging =
        count(db, "SELECT count(*) FROM status_changes WHERE service = '" + service +
                      "' AND (to_status = 'down' OR (from_status = 'down' AND "
                      "to_status = 'healthy'))");
    INFO(service);
    CHECK(static_cast<long long>(keys_by_service[service].size()) >= paging);
    distinct += keys_by_service[service].size();
  }
  CHECK(service_posts - distinct <= 20);
  // Nothing recorded twice: consecutive changes of a service never repeat a status.
  CHECK(count(db,
              "SELECT count(*) FROM (SELECT to_status, lag(to_status) OVER (PARTITION BY service "
              "ORDER BY id) AS prev FROM status_changes WHERE service LIKE 'svc-%') x "
              "WHERE prev = to_status") == 0);

  std::sort(failover_ms.begin(), failover_ms.end());
  REQUIRE(failover_ms.size() == 20);
  std::printf(
      "replica failover (holder SIGKILLed -> new holder's takeover done), 20 kills: "
      "p50 %.0f ms, max %.0f ms\n",
      failover_ms[failover_ms.size() / 2], failover_ms.back());
}

namespace {

// Opens GET path on 127.0.0.1:port and returns the response status as soon as the headers are
// in (the stream itself is not read).
int streamStatus(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::seconds(10));
  int status = -1;
  client.Get(
      path, httplib::Headers{},
      [&](const httplib::Response& r) {
        status = r.status;
        return false;
      },
      [](const char*, std::size_t) { return false; });
  return status;
}

}  // namespace

TEST_CASE("a stream ticket issued by one replica opens a stream at the other, once",
          "[integration][replica][stream]") {
  const auto fx = Fixture::load();
  const auto db = fx.freshDatabase("replica_tickets");
  HubProcess a(fx, fx.workDir("replica-tickets-a"), replicaOptions(db, "r1"));
  REQUIRE(a.waitReady(30s));
  HubProcess b(fx, fx.workDir("replica-tickets-b"), replicaOptions(db, "r2"));
  REQUIRE(b.waitReady(30s));

  auto ticket = [&](int port) {
    const auto r = httpRequest(port, "POST", "/api/v1/stream/tickets", "{}");
    REQUIRE(r.status == 201);
    return json::parse(r.body).at("ticket").get<std::string>();
  };
  const std::string t = ticket(a.port());
  CHECK(streamStatus(b.port(), "/api/v1/stream?ticket=" + t) == 200);
  // Taken at r2: neither replica accepts it again.
  CHECK(streamStatus(a.port(), "/api/v1/stream?ticket=" + t) == 401);
  CHECK(streamStatus(b.port(), "/api/v1/stream?ticket=" + t) == 401);

  // One issued by r2 opens at r2 too, and only the hash is stored.
  const std::string u = ticket(b.port());
  CHECK(count(db, "SELECT count(*) FROM stream_tickets WHERE token_hash = '" + u + "'") == 0);
  CHECK(count(db, "SELECT count(*) FROM stream_tickets") == 1);
  CHECK(streamStatus(b.port(), "/api/v1/stream?ticket=" + u) == 200);
  CHECK(count(db, "SELECT count(*) FROM stream_tickets") == 0);
}
