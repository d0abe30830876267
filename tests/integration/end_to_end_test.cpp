// agent -> NATS JetStream -> hub -> PostgreSQL -> REST, with real processes and servers.
#include <httplib.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/http_peers.hpp"
#include "tests/support/pg_query.hpp"
#include "tests/support/stack.hpp"

using namespace vitals::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json services(int port) {
  auto r = httpGet(port, "/api/v1/services");
  if (r.status != 200) {
    return json::object();
  }
  return json::parse(r.body, nullptr, false);
}

std::string serviceStatus(int port, const std::string& name) {
  const auto body = services(port);
  if (!body.is_object() || !body.contains("services")) {
    return "";
  }
  for (const auto& s : body["services"]) {
    if (s.value("name", "") == name) {
      return s.value("status", "");
    }
  }
  return "";
}

}  // namespace

TEST_CASE(
    "agent results reach the REST API through JetStream and PostgreSQL, and a stopped "
    "target turns down then healthy again",
    "[integration][e2e]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  const auto dir = fx.workDir("e2e");
  HubOptions ho;
  ho.db_conninfo = fx.freshDatabase("e2e");
  ho.http_port = freeTcpPort();
  HubProcess hub(fx, dir, ho);
  if (!hub.waitReady(20s)) {
    FAIL("hub did not become ready:\n" << hub.log());
  }

  const int web_port = freeTcpPort();
  SampleServer web(web_port);
  web.start();

  const std::string checks =
      "  - name: sample-web\n    kind: http\n    url: http://127.0.0.1:" +
      std::to_string(web_port) +
      "/healthz\n    interval: 1s\n    timeout: 500ms\n    retries: 2\n    body_contains: ok\n" +
      "  - name: nats-port\n    service: nats\n    kind: tcp\n    host: 127.0.0.1\n    port: " +
      std::to_string(fx.nats_port) + "\n    interval: 1s\n    timeout: 500ms\n" +
      "  - name: hub-healthz\n    service: hub\n    kind: http\n    url: http://127.0.0.1:" +
      std::to_string(hub.port()) + "/healthz\n    interval: 1s\n    timeout: 500ms\n";
  AgentProcess agent(fx, dir, "e2e-agent", checks);

  INFO("agent log:\n" << agent.log() << "\nhub log:\n" << hub.log());
  REQUIRE(waitUntil([&] { return serviceStatus(hub.port(), "sample-web") == "healthy"; }, 30s));
  REQUIRE(waitUntil([&] { return serviceStatus(hub.port(), "nats") == "healthy"; }, 10s));
  REQUIRE(waitUntil([&] { return serviceStatus(hub.port(), "hub") == "healthy"; }, 10s));

  // The rows behind it are in PostgreSQL, keyed by the agent's (agent, boot, seq).
  CHECK(count(ho.db_conninfo, "SELECT count(*) FROM health_checks WHERE service = 'sample-web'") >=
        1);
  CHECK(count(ho.db_conninfo, "SELECT count(*) FROM agents WHERE agent_id = 'e2e-agent'") == 1);

  // Detail and history answer for the service.
  auto detail = httpGet(hub.port(), "/api/v1/services/sample-web");
  REQUIRE(detail.status == 200);
  auto d = json::parse(detail.body);
  CHECK(d["name"] == "sample-web");
  CHECK(d["checks"].size() == 1);
  CHECK(d["checks"][0]["kind"] == "http");
  CHECK_FALSE(d["recent"].empty());
  REQUIRE(waitUntil(
      [&] {
        return count(ho.db_conninfo,
                     "SELECT count(*) FROM health_checks WHERE service = 'sample-web'") >= 3;
      },
      10s));
  auto history = httpGet(hub.port(), "/api/v1/services/sample-web/history?limit=2");
  REQUIRE(history.status == 200);
  const auto page1 = json::parse(history.body);
  CHECK(page1["results"].size() == 2);
  REQUIRE(page1["next"].is_string());
  auto more = httpGet(hub.port(), "/api/v1/services/sample-web/history?limit=2&cursor=" +
                                      page1["next"].get<std::string>());
  REQUIRE(more.status == 200);
  CHECK_FALSE(json::parse(more.body)["results"].empty());
  CHECK(httpGet(hub.port(), "/api/v1/services/sample-web/history?bogus=1").status == 400);
  CHECK(httpGet(hub.port(), "/api/v1/services/no-such-service").status == 404);

  // No repair policy is stored for a service whose agent offers no action: the effective default
  // is answered, not a 404, and says where it comes from.
  auto policy = httpGet(hub.port(), "/api/v1/policies/sample-web");
  INFO(policy.body);
  REQUIRE(policy.status == 200);
  const auto effective = nlohmann::json::parse(policy.body);
  CHECK(effective["source"] == "default");
  CHECK(effective["enabled"] == false);
  CHECK(effective["cooldown_seconds"].get<int>() > 0);
  CHECK(httpGet(hub.port(), "/api/v1/policies/no-such-service").status == 404);
  auto agents = httpGet(hub.port(), "/api/v1/agents");
  REQUIRE(agents.status == 200);
  CHECK(agents.body.find("e2e-agent") != std::string::npos);

  // Stop the target: the service goes down (after `retries` failed runs); bring it back.
  web.stop();
  REQUIRE(waitUntil([&] { return serviceStatus(hub.port(), "sample-web") == "down"; }, 20s));
  CHECK(serviceStatus(hub.port(), "nats") == "healthy");
  web.start();
  REQUIRE(waitUntil([&] { return serviceStatus(hub.port(), "sample-web") == "healthy"; }, 20s));

  // History across services: what went wrong, from PostgreSQL (globs, status, agent, kind).
  auto across = [&](const std::string& query) {
    const auto r = httpGet(hub.port(), "/api/v1/history?" + query);
    INFO(query << ": " << r.body);
    REQUIRE(r.status == 200);
    return json::parse(r.body)["results"];
  };
  const auto down = across("status=down&limit=1000");
  REQUIRE_FALSE(down.empty());
  CHECK(static_cast<long long>(down.size()) ==
        count(ho.db_conninfo, "SELECT count(*) FROM health_checks WHERE status = 'down'"));
  for (const auto& r : down) {
    CHECK(r["service"] == "sample-web");
    CHECK(r["status"] == "down");
  }
  CHECK(across("status=down,degraded&service=sample-*,other&limit=1000").size() == down.size());
  CHECK(across("status=down&service=nats").empty());
  CHECK(across("service=sample_web").empty());  // '_' is a character, not LIKE's wildcard
  const auto tcp = across("agent=e2e-agent&kind=tcp&limit=5");
  REQUIRE_FALSE(tcp.empty());
  for (const auto& r : tcp) {
    CHECK(r["kind"] == "tcp");
  }
  const auto newest = across("limit=1");
  REQUIRE(newest.size() == 1);
  CHECK(newest[0]["observed_at"].get<std::string>() >=
        down.front()["observed_at"].get<std::string>());

  // A clean agent stop deregisters it.
  CHECK(agent.process().stop(SIGTERM) == 0);
  CHECK(waitUntil(
      [&] {
        return count(ho.db_conninfo,
                     "SELECT count(*) FROM agents WHERE agent_id = 'e2e-agent' AND "
                     "deregistered_at IS NOT NULL") == 1;
      },
      10s));
  CHECK(hub.process().stop(SIGTERM) == 0);
}
