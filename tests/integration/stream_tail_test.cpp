// The live stream carries incidents and repair steps read from the shared database: a real hub,
// agent, nats-server and PostgreSQL; a service goes down and recovers, and an SSE client that
// asked for kinds=incident,repair,approval sees the incident open and resolve.
#include <sys/stat.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/integration/stream_sse_client.hpp"
#include "tests/support/stack.hpp"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;
using json = nlohmann::json;

TEST_CASE("the live stream carries an incident's opening and resolution from the database",
          "[integration][hub][stream]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  const std::string dir = fx.workDir("stream-tail");
  HubOptions o;
  o.hub_id = "hub-stream-tail";
  o.db_conninfo = fx.freshDatabase("stream_tail");
  o.http_port = freeTcpPort();
  o.extra_yaml = "alerts:\n  tick_interval: 200ms\n";
  HubProcess hubp(fx, dir, o);
  if (!hubp.waitReady(30s)) {
    FAIL("hub not ready:\n" << hubp.log());
  }
  const std::string state_file = dir + "/web-state";
  writeFile(state_file, "0\n");
  writeFile(dir + "/agent.yaml",
            "agent_id: tail-agent\nnats:\n  url: " + fx.nats_url +
                "\npublish:\n  max_delay: 20ms\n"
                "checks:\n  - name: web-exec\n    service: web\n    kind: exec\n"
                "    argv: [/bin/sh, -c, \"exit $(cat " +
                state_file +
                ")\"]\n    interval: 100ms\n    timeout: 90ms\n    retries: 1\n    recover: 1\n");
  ChildProcess agent({fx.bin_dir + "/vitals-agent", "--config", dir + "/agent.yaml"},
                     dir + "/agent.log", fx.run_dir + "/pids");
  auto status = [&] {
    const auto r = httpGet(hubp.port(), "/api/v1/services/web");
    return r.status == 200 ? json::parse(r.body).value("status", "") : std::string();
  };
  REQUIRE(waitUntil([&] { return status() == "healthy"; }, 20s));

  std::mutex mu;
  std::vector<json> incident_events;
  std::atomic<bool> stop{false};
  std::atomic<int> http_status{0};
  std::thread reader([&] {
    http_status = readSse(hubp.port(), "/api/v1/stream?kinds=incident,repair,approval",
                          {{"Authorization", "Bearer " + hubp.adminKey()}}, [&](const SseEvent& e) {
                            if (e.event == "incident") {
                              std::lock_guard lock(mu);
                              incident_events.push_back(json::parse(e.data));
                            }
                            return !stop;
                          });
  });
  auto seen = [&](const std::string& event) {
    std::lock_guard lock(mu);
    for (const auto& e : incident_events) {
      const auto& d = e.contains("data") ? e["data"] : e;
      if (d.value("event", "") == event && d.value("service", "") == "web") {
        return true;
      }
    }
    return false;
  };
  std::this_thread::sleep_for(500ms);  // the stream is open and the tail has found its start
  writeFile(state_file, "2\n");
  const bool opened = waitUntil([&] { return seen("opened"); }, 15s);
  writeFile(state_file, "0\n");
  const bool resolved = waitUntil([&] { return seen("resolved"); }, 15s);
  stop = true;
  writeFile(state_file, "2\n");  // one more event wakes the reader so it can stop
  reader.join();
  INFO(hubp.log());
  CHECK(opened);
  CHECK(resolved);
  std::lock_guard lock(mu);
  REQUIRE_FALSE(incident_events.empty());
  const auto& first = incident_events.front().contains("data") ? incident_events.front()["data"]
                                                               : incident_events.front();
  CHECK(first["incident"].is_number_integer());
  CHECK(first["kind"] == "status");
}
