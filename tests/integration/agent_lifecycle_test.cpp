// Honest status when agents stop, checks go away and agents are retired, with a real agent,
// nats-server, PostgreSQL and hub: a clean stop turns every check unknown within a second and
// resolves its incidents; a restart within agents.restart_grace is quiet; after the grace the
// notified channel hears "monitoring stopped" (never "recovered"); a reload that drops checks
// takes them (and a service left without checks) out of the view; forgetting an agent takes it
// and its services out of /api/v1/services and /api/v1/agents while history stays; a hub restart
// in between changes none of it. The decisions are unit-tested in
// tests/unit/hub/agent_lifecycle_test.cpp.
#include <signal.h>

#include <catch2/catch.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "tests/support/http_peers.hpp"
#include "tests/support/pg_query.hpp"
#include "tests/support/stack.hpp"

using namespace vitals::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json getJson(int port, const std::string& path) {
  auto r = httpGet(port, path);
  return r.status == 200 ? json::parse(r.body, nullptr, false) : json();
}

json service(int port, const std::string& name) {
  return getJson(port, "/api/v1/services/" + name);
}

std::string statusOf(int port, const std::string& name) {
  const auto s = service(port, name);
  return s.is_object() ? s.value("status", "") : "";
}

std::set<std::string> serviceNames(int port) {
  std::set<std::string> out;
  const auto body = getJson(port, "/api/v1/services");
  if (body.is_object()) {
    for (const auto& s : body["services"]) {
      out.insert(s.value("name", ""));
    }
  }
  return out;
}

bool agentListed(int port, const std::string& id) {
  const auto body = getJson(port, "/api/v1/agents");
  if (!body.is_object()) {
    return false;
  }
  for (const auto& a : body["agents"]) {
    if (a.value("id", "") == id) {
      return true;
    }
  }
  return false;
}

// Every check of the service unknown, each saying its agent stopped.
bool allStopped(int port, const std::string& name) {
  const auto s = service(port, name);
  if (!s.is_object() || s.value("status", "") != "unknown" || s["checks"].empty()) {
    return false;
  }
  for (const auto& c : s["checks"]) {
    if (c.value("status", "") != "unknown" ||
        c.value("message", "").rfind("agent stopped at ", 0) != 0) {
      return false;
    }
  }
  return true;
}

std::vector<std::string> transitions(WebhookReceiver& rx) {
  std::vector<std::string> out;
  for (const auto& r : rx.received("/ops")) {
    auto j = json::parse(r.body, nullptr, false);
    out.push_back(j.is_object() ? j.value("service", "") + " " + j.value("transition", "") : "?");
  }
  return out;
}

std::string webhookChannel(const std::string& url, const std::string& secret_file) {
  return "    ops:\n      type: webhook\n      url: \"" + url +
         "\"\n      secret_file: " + secret_file + "\n";
}

std::string checksYaml(int web_port, int nats_port, bool all) {
  std::string y =
      "  - name: shop-home\n    service: shop\n    kind: http\n"
      "    url: http://127.0.0.1:" +
      std::to_string(web_port) + "/healthz\n    interval: 300ms\n    timeout: 250ms\n";
  if (all) {
    y += "  - name: shop-port\n    service: shop\n    kind: tcp\n    host: 127.0.0.1\n"
         "    port: " +
         std::to_string(nats_port) + "\n    interval: 300ms\n    timeout: 250ms\n";
    y += "  - name: extra-port\n    service: extra\n    kind: tcp\n    host: 127.0.0.1\n"
         "    port: " +
         std::to_string(nats_port) + "\n    interval: 300ms\n    timeout: 250ms\n";
  }
  return y;
}

}  // namespace

TEST_CASE(
    "a clean stop turns every check unknown within a second and resolves its incidents, a "
    "restart within the grace is quiet, a reload drops removed checks, a forgotten agent "
    "leaves the view, and a hub restart changes none of it",
    "[integration][lifecycle]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  const auto dir = fx.workDir("lifecycle");
  WebhookReceiver rx;
  writeFile(dir + "/secret", "lifecycle-secret");
  HubOptions ho;
  ho.hub_id = "hub-lifecycle";
  ho.db_conninfo = fx.freshDatabase("lifecycle");
  ho.http_port = freeTcpPort();
  ho.extra_yaml = "notify:\n  poll_interval: 100ms\n  channels:\n" +
                  webhookChannel(rx.url("/ops"), dir + "/secret") +
                  "alerts:\n  default_channels: [ops]\n  tick_interval: 200ms\n"
                  "agents:\n  restart_grace: 4s\n"
                  "staleness:\n  sweep_interval: 500ms\n";
  std::optional<HubProcess> hub;
  hub.emplace(fx, dir, ho);
  if (!hub->waitReady(20s)) {
    FAIL("hub did not become ready:\n" << hub->log());
  }
  const int port = hub->port();
  const int web_port = freeTcpPort();
  SampleServer web(web_port);
  web.start();
  const std::string agent_id = "life-agent";
  std::optional<AgentProcess> agent;
  agent.emplace(fx, dir, agent_id, checksYaml(web_port, fx.nats_port, true));
  auto logs = [&] {
    return "hub log:\n" + hub->log() + "\nagent log:\n" + (agent ? agent->log() : "");
  };
  INFO(logs());
  REQUIRE(waitUntil([&] { return statusOf(port, "shop") == "healthy"; }, 20s));
  REQUIRE(waitUntil([&] { return statusOf(port, "extra") == "healthy"; }, 10s));

  // shop goes down: an incident, notified once.
  web.stop();
  REQUIRE(waitUntil([&] { return rx.received("/ops").size() == 1; }, 15s));
  CHECK(transitions(rx) == std::vector<std::string>{"shop 1:healthy->down"});
  const auto open = getJson(port, "/api/v1/alerts?state=open&service=shop")["alerts"];
  REQUIRE(open.size() == 1);
  const auto incident = open[0]["id"].get<std::int64_t>();

  // 1. Clean stop: every check unknown within a second, the incident resolved "agent stopped".
  REQUIRE(agent->process().stop(SIGTERM) == 0);
  const auto stopped_at = std::chrono::steady_clock::now();
  REQUIRE(waitUntil([&] { return allStopped(port, "shop") && allStopped(port, "extra"); }, 5s));
  const auto took = std::chrono::steady_clock::now() - stopped_at;
  CHECK(took < 1s);
  WARN("clean stop -> every check unknown in "
       << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  REQUIRE(waitUntil(
      [&] { return getJson(port, "/api/v1/alerts?state=open&service=shop")["alerts"].empty(); },
      5s));
  auto resolved = getJson(port, "/api/v1/alerts/" + std::to_string(incident));
  CHECK(resolved.value("state", "") == "resolved");
  CHECK(resolved.value("reason", "").rfind("agent stopped at ", 0) == 0);
  for (const auto& c : service(port, "shop")["checks"]) {
    CHECK(c["stopped"] == true);
    CHECK(c["unreachable"] == false);
  }

  // 2. Back within the grace: the real status returns, no stopped/started notices.
  agent.emplace(fx, dir, agent_id, checksYaml(web_port, fx.nats_port, true));
  REQUIRE(waitUntil([&] { return statusOf(port, "shop") == "down"; }, 10s));
  REQUIRE(waitUntil([&] { return statusOf(port, "extra") == "healthy"; }, 10s));
  std::this_thread::sleep_for(5s);  // past the grace of the first stop
  CHECK(transitions(rx) == std::vector<std::string>{"shop 1:healthy->down"});
  const auto again = getJson(port, "/api/v1/alerts?state=open&service=shop")["alerts"];
  REQUIRE(again.size() == 1);
  CHECK(again[0]["id"].get<std::int64_t>() == incident);  // the same incident goes on

  // 3. Stopped for longer than the grace: "monitoring stopped", never "recovered".
  REQUIRE(agent->process().stop(SIGTERM) == 0);
  REQUIRE(waitUntil([&] { return rx.received("/ops").size() == 2; }, 15s));
  const auto notice = json::parse(rx.received("/ops")[1].body);
  CHECK(notice.value("transition", "").rfind("monitoring-stopped", 0) == 0);
  CHECK(notice.value("summary", "").find("monitoring of shop stopped: agent stopped at") !=
        std::string::npos);
  CHECK(notice.value("to_status", "") == "unknown");

  // 4. A hub restart: still unknown "agent stopped", nothing new notified.
  REQUIRE(hub->process().stop(SIGTERM) == 0);
  hub.reset();
  hub.emplace(fx, dir, ho);
  REQUIRE(hub->waitReady(20s));
  CHECK(allStopped(port, "shop"));
  CHECK(allStopped(port, "extra"));
  std::this_thread::sleep_for(2s);
  CHECK(rx.received("/ops").size() == 2);

  // 5. A reload that drops checks: shop keeps one check, extra leaves the view.
  web.start();
  agent.emplace(fx, dir, agent_id, checksYaml(web_port, fx.nats_port, true));
  REQUIRE(waitUntil([&] { return statusOf(port, "shop") == "healthy"; }, 15s));
  writeFile(dir + "/agent-" + agent_id + ".yaml",
            "agent_id: " + agent_id + "\nnats:\n  url: " + fx.nats_url +
                "\nheartbeat_interval: 2s\nlog:\n  level: info\n  format: text\n"
                "publish:\n  max_delay: 50ms\nchecks:\n" +
                checksYaml(web_port, fx.nats_port, false));
  agent->process().signal(SIGHUP);
  REQUIRE(waitUntil([&] { return serviceNames(port).count("extra") == 0; }, 10s));
  const auto shop = service(port, "shop");
  REQUIRE(shop["checks"].size() == 1);
  CHECK(shop["checks"][0]["name"] == "shop-home");
  CHECK(httpGet(port, "/api/v1/services/extra/history?limit=1").status == 200);  // history stays
  CHECK(httpGet(port, "/api/v1/services/extra/uptime").status == 200);
  CHECK(serviceNames(port).count("shop") == 1);

  // 6. Forget: refused while the agent runs, then it and its services leave the view.
  CHECK(httpRequest(port, "DELETE", "/api/v1/agents/" + agent_id).status == 409);
  REQUIRE(agent->process().stop(SIGTERM) == 0);
  REQUIRE(waitUntil([&] { return allStopped(port, "shop"); }, 5s));
  const auto forgotten = httpRequest(port, "DELETE", "/api/v1/agents/" + agent_id);
  REQUIRE(forgotten.status == 200);
  CHECK(serviceNames(port).count("shop") == 0);
  CHECK_FALSE(agentListed(port, agent_id));
  CHECK(httpRequest(port, "DELETE", "/api/v1/agents/" + agent_id).status == 404);
  const auto history = getJson(port, "/api/v1/services/shop/history?limit=5");
  REQUIRE(history.is_object());
  CHECK_FALSE(history["results"].empty());
  CHECK(count(ho.db_conninfo,
              "SELECT count(*) FROM audit_log WHERE action = 'DELETE /api/v1/agents/{id}'") >= 1);

  // 7. A hub restart keeps it forgotten; registering again brings it back.
  REQUIRE(hub->process().stop(SIGTERM) == 0);
  hub.reset();
  hub.emplace(fx, dir, ho);
  REQUIRE(hub->waitReady(20s));
  CHECK(serviceNames(port).count("shop") == 0);
  CHECK_FALSE(agentListed(port, agent_id));
  agent.emplace(fx, dir, agent_id, checksYaml(web_port, fx.nats_port, false));
  REQUIRE(waitUntil([&] { return statusOf(port, "shop") == "healthy"; }, 15s));
  CHECK(agentListed(port, agent_id));
  REQUIRE(agent->process().stop(SIGTERM) == 0);
}

TEST_CASE("two replicas follow a clean stop and a retired agent, whichever replica saw it",
          "[integration][lifecycle][replica]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  const auto db = fx.freshDatabase("lifecycle_replicas");
  auto options = [&](const std::string& replica) {
    HubOptions o;
    o.hub_id = "site-life";
    o.db_conninfo = db;
    o.http_port = freeTcpPort();
    o.extra_yaml = "replica:\n  id: " + replica +
                   "\n  lease_interval: 200ms\nstaleness:\n  sweep_interval: 500ms\n"
                   "api:\n  rate_limit:\n    requests_per_second: 0\n";
    return o;
  };
  HubOptions opts[2] = {options("r1"), options("r2")};
  const std::string dirs[2] = {fx.workDir("lifecycle-r1"), fx.workDir("lifecycle-r2")};
  std::unique_ptr<HubProcess> hubs[2];  // (optional<> here trips -Wmaybe-uninitialized)
  for (int i = 0; i < 2; ++i) {
    hubs[i] = std::make_unique<HubProcess>(fx, dirs[i], opts[i]);
    if (!hubs[i]->waitReady(30s)) {
      FAIL("replica did not become ready:\n" << hubs[i]->log());
    }
    opts[i].create_admin_key = false;  // a restart reuses the key registered for the port
  }
  const int ports[2] = {hubs[0]->port(), hubs[1]->port()};
  const std::string agent_id = "replica-life-agent";
  const std::string checks =
      "  - name: one\n    service: svc-one\n    kind: tcp\n    host: 127.0.0.1\n    port: " +
      std::to_string(fx.nats_port) + "\n    interval: 300ms\n    timeout: 250ms\n" +
      "  - name: two\n    service: svc-two\n    kind: tcp\n    host: 127.0.0.1\n    port: " +
      std::to_string(fx.nats_port) + "\n    interval: 300ms\n    timeout: 250ms\n";
  AgentProcess agent(fx, dirs[0], agent_id, checks);
  INFO("r1 log:\n" << hubs[0]->log() << "\nr2 log:\n" << hubs[1]->log());
  for (int port : ports) {
    REQUIRE(waitUntil(
        [&] {
          return statusOf(port, "svc-one") == "healthy" && statusOf(port, "svc-two") == "healthy";
        },
        20s));
  }

  REQUIRE(agent.process().stop(SIGTERM) == 0);
  for (int port : ports) {
    CHECK(
        waitUntil([&] { return allStopped(port, "svc-one") && allStopped(port, "svc-two"); }, 2s));
  }

  // Retired through r1: r2's view follows.
  REQUIRE(httpRequest(ports[0], "DELETE", "/api/v1/agents/" + agent_id).status == 200);
  CHECK(waitUntil([&] { return serviceNames(ports[1]).count("svc-one") == 0; }, 2s));
  CHECK(serviceNames(ports[1]).count("svc-two") == 0);
  CHECK_FALSE(agentListed(ports[1], agent_id));

  // A restarted r2 still agrees.
  REQUIRE(hubs[1]->process().stop(SIGTERM) == 0);
  hubs[1].reset();
  hubs[1] = std::make_unique<HubProcess>(fx, dirs[1], opts[1]);
  REQUIRE(hubs[1]->waitReady(30s));
  CHECK(serviceNames(ports[1]).count("svc-one") == 0);
  CHECK_FALSE(agentListed(ports[1], agent_id));
}

TEST_CASE("an agent's actions with their parameters reach the hub's inventory",
          "[integration][lifecycle]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  const auto dir = fx.workDir("agent-inventory");
  HubOptions ho;
  ho.hub_id = "hub-inventory";
  ho.db_conninfo = fx.freshDatabase("agent_inventory");
  ho.http_port = freeTcpPort();
  HubProcess hub(fx, dir, ho);
  REQUIRE(hub.waitReady(30s));
  AgentProcess agent(fx, dir, "inventory-agent",
                     "  - name: bus-port\n    service: bus\n    kind: tcp\n    host: 127.0.0.1\n"
                     "    port: " +
                         std::to_string(fx.nats_port) +
                         "\n    interval: 300ms\n    timeout: 250ms\n"
                         "actions:\n"
                         "  restart-bus:\n    argv: [/bin/true, \"{mode}\"]\n"
                         "    params: {mode: \"^(soft|hard)$\"}\n    timeout: 7s\n"
                         "    cooldown: 1m\n"
                         "  rotate-logs:\n    argv: [/bin/true]\n");
  json a;
  REQUIRE(waitUntil(
      [&] {
        a = getJson(hub.port(), "/api/v1/agents/inventory-agent");
        return a.is_object() && a["checks"].size() == 1 && a["actions"].size() == 2;
      },
      20s));
  CHECK(a["actions"][0]["name"] == "restart-bus");
  CHECK(a["actions"][0]["params"] ==
        json::array({{{"name", "mode"}, {"pattern", "^(soft|hard)$"}}}));
  CHECK(a["actions"][0]["timeout_ms"] == 7000);
  CHECK(a["actions"][0]["cooldown_ms"] == 60000);
  CHECK(a["actions"][1]["name"] == "rotate-logs");
  CHECK(a["actions"][1]["params"] == json::array());
  CHECK(a["checks"][0]["service"] == "bus");
  // The command line stays on the agent.
  CHECK(a.dump().find("/bin/true") == std::string::npos);
  // The list carries the same inventory.
  const auto list = getJson(hub.port(), "/api/v1/agents");
  REQUIRE(list.is_object());
  REQUIRE(list["agents"].size() == 1);
  CHECK(list["agents"][0]["actions"] == a["actions"]);
}
