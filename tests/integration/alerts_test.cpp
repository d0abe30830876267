// The alert policy end to end: a real agent probes a local service, the hub records the flips,
// the engine opens incidents and writes the outbox, and a real webhook receiver gets the
// notices. Escalation, acknowledgement, silences, dependencies and a hub killed between a flip
// and its notice are covered here; the rules themselves in tests/unit/hub/alert_policy_test.cpp.
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

HttpReply send(int port, const std::string& method, const std::string& path,
               const std::string& body = "") {
  return httpRequest(port, method, path, body);
}

json getJson(int port, const std::string& path) {
  auto r = httpGet(port, path);
  return r.status == 200 ? json::parse(r.body, nullptr, false) : json();
}

std::string serviceStatus(int port, const std::string& name) {
  const auto body = getJson(port, "/api/v1/services/" + name);
  return body.is_object() ? body.value("status", "") : "";
}

std::string webhookChannel(const std::string& name, const std::string& url,
                           const std::string& secret_file) {
  return "    " + name + ":\n      type: webhook\n      url: \"" + url +
         "\"\n      secret_file: " + secret_file + "\n";
}

std::string httpCheck(const std::string& name, int port) {
  return "  - name: " + name +
         "\n    kind: http\n    url: http://127.0.0.1:" + std::to_string(port) +
         "/healthz\n    interval: 300ms\n    timeout: 250ms\n";
}

std::vector<std::string> transitions(WebhookReceiver& rx, const std::string& path) {
  std::vector<std::string> out;
  for (const auto& r : rx.received(path)) {
    auto j = json::parse(r.body, nullptr, false);
    out.push_back(j.is_object() ? j.value("service", "") + " " + j.value("transition", "") : "?");
  }
  return out;
}

// The open alerts of a service (newest first).
json openAlerts(int port, const std::string& service) {
  return getJson(port, "/api/v1/alerts?state=open&service=" + service)["alerts"];
}

}  // namespace

TEST_CASE(
    "a flip notifies the first channel once, escalates unacknowledged, acknowledging stops "
    "escalation, recovery reaches every notified channel, and a silence holds notices back "
    "until it is expired",
    "[integration][alerts]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  const auto dir = fx.workDir("alerts-flow");
  WebhookReceiver rx;
  writeFile(dir + "/secret", "alert-secret");
  HubOptions ho;
  ho.hub_id = "hub-alerts";
  ho.db_conninfo = fx.freshDatabase("alerts_flow");
  ho.http_port = freeTcpPort();
  ho.extra_yaml = "notify:\n  poll_interval: 100ms\n  channels:\n" +
                  webhookChannel("first", rx.url("/first"), dir + "/secret") +
                  webhookChannel("second", rx.url("/second"), dir + "/secret") +
                  "alerts:\n  default_channels: [first, second]\n  escalation_delay: 2s\n"
                  "  tick_interval: 200ms\n";
  HubProcess hub(fx, dir, ho);
  if (!hub.waitReady(20s)) {
    FAIL("hub did not become ready:\n" << hub.log());
  }
  const int web_port = freeTcpPort();
  SampleServer web(web_port);
  web.start();
  AgentProcess agent(fx, dir, "alert-agent", httpCheck("shop", web_port));
  auto logs = [&] { return "hub log:\n" + hub.log() + "\nagent log:\n" + agent.log(); };
  if (!waitUntil([&] { return serviceStatus(hub.port(), "shop") == "healthy"; }, 20s)) {
    FAIL(logs());
  }

  // 1. Down: one notice on the first channel, then the escalation to the second.
  web.stop();
  REQUIRE(waitUntil([&] { return rx.received("/first").size() == 1; }, 15s));
  auto first = json::parse(rx.received("/first")[0].body);
  CHECK(first["service"] == "shop");
  CHECK(first["to_status"] == "down");
  CHECK(first["transition"] == "1:healthy->down");
  CHECK_FALSE(rx.received("/first")[0].signature.empty());
  auto open = openAlerts(hub.port(), "shop");
  REQUIRE(open.size() == 1);
  const auto id1 = open[0]["id"].get<std::int64_t>();
  CHECK(open[0]["notified"] == true);
  REQUIRE(waitUntil([&] { return rx.received("/second").size() == 1; }, 10s));
  CHECK(json::parse(rx.received("/second")[0].body)["transition"] == "escalation-1");

  // 2. Recovery goes to both channels; the incident is resolved.
  web.start();
  REQUIRE(waitUntil([&] { return rx.received("/second").size() == 2; }, 15s));
  REQUIRE(waitUntil([&] { return rx.received("/first").size() == 2; }, 5s));
  CHECK(json::parse(rx.received("/first")[1].body)["transition"] == "recovered");
  CHECK(json::parse(rx.received("/second")[1].body)["transition"] == "recovered");
  const auto resolved = getJson(hub.port(), "/api/v1/alerts/" + std::to_string(id1));
  CHECK(resolved["state"] == "resolved");
  std::vector<std::string> events;
  for (const auto& e : resolved["timeline"]) {
    events.push_back(e["event"]);
  }
  CHECK(std::find(events.begin(), events.end(), "escalated") != events.end());
  CHECK(std::find(events.begin(), events.end(), "resolved") != events.end());

  // 3. Down again, acknowledged at once: no escalation follows.
  web.stop();
  REQUIRE(waitUntil([&] { return rx.received("/first").size() == 3; }, 15s));
  open = openAlerts(hub.port(), "shop");
  REQUIRE(open.size() == 1);
  const auto id2 = open[0]["id"].get<std::int64_t>();
  CHECK(id2 != id1);
  const auto ack = send(hub.port(), "POST", "/api/v1/alerts/" + std::to_string(id2) + "/ack");
  REQUIRE(ack.status == 200);
  CHECK(json::parse(ack.body)["acknowledged_at"].is_string());
  CHECK(send(hub.port(), "POST", "/api/v1/alerts/999999/ack").status == 404);
  std::this_thread::sleep_for(3s);  // longer than escalation_delay
  CHECK(rx.received("/second").size() == 2);
  web.start();
  REQUIRE(waitUntil([&] { return rx.received("/first").size() == 4; }, 15s));
  CHECK(send(hub.port(), "POST", "/api/v1/alerts/" + std::to_string(id2) + "/ack").status == 409);

  // 4. Silenced: the incident is recorded, nothing is sent until the silence is expired.
  const auto bad = send(hub.port(), "POST", "/api/v1/silences", R"({"service":"shop"})");
  CHECK(bad.status == 400);
  CHECK(bad.body.find("ends_at") != std::string::npos);
  const auto created = send(hub.port(), "POST", "/api/v1/silences",
                            R"({"service":"shop","duration":"1h","comment":"deploy"})");
  REQUIRE(created.status == 201);
  const auto silence_id = json::parse(created.body)["id"].get<std::int64_t>();
  web.stop();
  REQUIRE(waitUntil([&] { return openAlerts(hub.port(), "shop").size() == 1; }, 15s));
  open = openAlerts(hub.port(), "shop");
  CHECK(open[0]["silenced_by"] == silence_id);
  CHECK(open[0]["notified"] == false);
  std::this_thread::sleep_for(1s);
  CHECK(rx.received("/first").size() == 4);
  REQUIRE(send(hub.port(), "DELETE", "/api/v1/silences/" + std::to_string(silence_id)).status ==
          200);
  REQUIRE(waitUntil([&] { return rx.received("/first").size() == 5; }, 10s));
  CHECK(json::parse(rx.received("/first")[4].body)["transition"].get<std::string>().rfind("late-",
                                                                                          0) == 0);
  const auto silences = getJson(hub.port(), "/api/v1/silences?state=all");
  REQUIRE(silences["silences"].size() == 1);
  CHECK(silences["silences"][0]["active"] == false);

  // Every notice was written once: no idempotency key twice in the outbox or at the receiver.
  std::set<std::string> keys;
  for (const auto& path : {"/first", "/second"}) {
    for (const auto& r : rx.received(path)) {
      CHECK(keys.insert(r.key).second);
    }
  }
  CHECK(count(ho.db_conninfo, "SELECT count(*) FROM notification_outbox") == 7);

  // vitalsctl sees the same incidents and silences, and manages silences.
  writeFile(dir + "/admin.key", hub.adminKey() + "\n");
  writeFile(dir + "/ctl.yaml", "hub: http://127.0.0.1:" + std::to_string(hub.port()) +
                                   "\napi_key_file: " + dir + "/admin.key\n");
  auto ctl = [&](std::vector<std::string> args, std::string& out) {
    std::vector<std::string> argv{fx.bin_dir + "/vitalsctl", "--config", dir + "/ctl.yaml"};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess p(argv, dir + "/ctl-" + std::to_string(freeTcpPort()) + ".log",
                   fx.run_dir + "/pids");
    const int code = p.waitExit(20000);
    out = p.log();
    return code;
  };
  std::string out;
  REQUIRE(ctl({"--output", "json", "alerts", "--state", "all", "--service", "shop"}, out) == 0);
  CHECK(json::parse(out)["alerts"].size() == 3);
  REQUIRE(ctl({"silences", "add", "--service", "shop", "--duration", "10m", "--comment",
               "from the CLI", "--maintenance"},
              out) == 0);
  CHECK(out.find("silence ") == 0);
  REQUIRE(ctl({"--output", "json", "silences"}, out) == 0);
  const auto active = json::parse(out)["silences"];
  REQUIRE(active.size() == 1);
  CHECK(active[0]["maintenance"] == true);
  CHECK(active[0]["creator"].get<std::string>().rfind("key:", 0) == 0);
  REQUIRE(ctl({"silences", "expire", std::to_string(active[0]["id"].get<std::int64_t>())}, out) ==
          0);
  CHECK(ctl({"alerts", "ack", "999999"}, out) == 1);
  CHECK(out.find("no alert 999999") != std::string::npos);
  REQUIRE(ctl({"uptime", "--window", "7d"}, out) == 0);
  CHECK(out.find("shop") != std::string::npos);
  REQUIRE(ctl({"--output", "json", "audit", "--action", "POST*"}, out) == 0);
  CHECK(out.find("/api/v1/silences") != std::string::npos);
  // Without federation on this hub its federation routes are not served.
  CHECK(ctl({"federation", "hubs"}, out) != 0);
  agent.process().stop(SIGTERM);
  hub.process().stop(SIGTERM);
}

TEST_CASE(
    "a dependant of a down service is inhibited with the root cause named and notified "
    "once the dependency is back while it still fails",
    "[integration][alerts]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  const auto dir = fx.workDir("alerts-deps");
  WebhookReceiver rx;
  writeFile(dir + "/secret", "alert-secret");
  HubOptions ho;
  ho.hub_id = "hub-deps";
  ho.db_conninfo = fx.freshDatabase("alerts_deps");
  ho.http_port = freeTcpPort();
  ho.extra_yaml = "notify:\n  poll_interval: 100ms\n  channels:\n" +
                  webhookChannel("ops", rx.url("/ops"), dir + "/secret") +
                  "alerts:\n  default_channels: [ops]\n  tick_interval: 200ms\n"
                  "services:\n  app:\n    depends_on: [db]\n";
  HubProcess hub(fx, dir, ho);
  if (!hub.waitReady(20s)) {
    FAIL("hub did not become ready:\n" << hub.log());
  }
  const int db_port = freeTcpPort();
  const int app_port = freeTcpPort();
  SampleServer db(db_port);
  SampleServer app(app_port);
  db.start();
  app.start();
  AgentProcess agent(fx, dir, "deps-agent", httpCheck("db", db_port) + httpCheck("app", app_port));
  auto logs = [&] { return "hub log:\n" + hub.log() + "\nagent log:\n" + agent.log(); };
  if (!waitUntil(
          [&] {
            return serviceStatus(hub.port(), "db") == "healthy" &&
                   serviceStatus(hub.port(), "app") == "healthy";
          },
          20s)) {
    FAIL(logs());
  }
  db.stop();
  REQUIRE(waitUntil([&] { return serviceStatus(hub.port(), "db") == "down"; }, 15s));
  app.stop();
  REQUIRE(waitUntil([&] { return openAlerts(hub.port(), "app").size() == 1; }, 15s));
  auto app_alert = openAlerts(hub.port(), "app")[0];
  CHECK(app_alert["root_cause"] == "db");
  CHECK(app_alert["notified"] == false);
  std::this_thread::sleep_for(1s);
  CHECK(transitions(rx, "/ops") == std::vector<std::string>{"db 1:healthy->down"});

  // The dependency recovers, the dependant still fails: its notice goes out now.
  db.start();
  REQUIRE(waitUntil([&] { return rx.received("/ops").size() == 3; }, 15s));
  auto seen = transitions(rx, "/ops");
  CHECK(std::find(seen.begin(), seen.end(), "db recovered") != seen.end());
  CHECK(std::count_if(seen.begin(), seen.end(),
                      [](const std::string& s) { return s.rfind("app late-", 0) == 0; }) == 1);
  // And its recovery notice is not lost.
  app.start();
  REQUIRE(waitUntil([&] { return rx.received("/ops").size() == 4; }, 15s));
  CHECK(transitions(rx, "/ops").back() == "app recovered");
  agent.process().stop(SIGTERM);
  hub.process().stop(SIGTERM);
}

TEST_CASE("a hub killed right after recording flips notifies each of them once after restart",
          "[integration][alerts]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  const auto dir = fx.workDir("alerts-kill");
  WebhookReceiver rx(300ms);  // slow receiver: notices are in flight when the hub dies
  writeFile(dir + "/secret", "alert-secret");
  HubOptions ho;
  ho.hub_id = "hub-kill";
  ho.db_conninfo = fx.freshDatabase("alerts_kill");
  ho.http_port = freeTcpPort();
  ho.extra_yaml = "notify:\n  poll_interval: 100ms\n  retry_initial: 200ms\n  channels:\n" +
                  webhookChannel("ops", rx.url("/ops"), dir + "/secret") +
                  "alerts:\n  default_channels: [ops]\n  tick_interval: 200ms\n";
  auto hub = std::make_unique<HubProcess>(fx, dir, ho);
  if (!hub->waitReady(20s)) {
    FAIL("hub did not become ready:\n" << hub->log());
  }
  constexpr int kServices = 6;
  std::vector<std::unique_ptr<SampleServer>> servers;
  std::string checks;
  for (int i = 0; i < kServices; ++i) {
    const int port = freeTcpPort();
    servers.push_back(std::make_unique<SampleServer>(port));
    servers.back()->start();
    checks += httpCheck("svc-" + std::to_string(i), port);
  }
  AgentProcess agent(fx, dir, "kill-agent", checks);
  REQUIRE(waitUntil(
      [&] {
        return count(ho.db_conninfo,
                     "SELECT count(*) FROM uptime_records WHERE ended_at IS NULL "
                     "AND status = 'healthy'") == kServices;
      },
      20s));
  for (auto& s : servers) {
    s->stop();
  }
  // Kill as soon as the first flip is recorded: some notices are not written or not sent yet.
  REQUIRE(waitUntil(
      [&] {
        return count(ho.db_conninfo,
                     "SELECT count(*) FROM status_changes WHERE to_status = 'down'") >= 1;
      },
      15s));
  hub->process().signal(SIGKILL);
  hub->process().waitExit(10000);
  hub = std::make_unique<HubProcess>(fx, dir, ho);
  REQUIRE(hub->waitReady(20s));
  REQUIRE(waitUntil(
      [&] {
        return count(ho.db_conninfo,
                     "SELECT count(*) FROM notification_outbox WHERE status = "
                     "'delivered'") == kServices;
      },
      30s));
  // One incident and one notice per service; at most one duplicate delivery per notice (a send
  // cut by the kill), never a lost one.
  CHECK(count(ho.db_conninfo, "SELECT count(*) FROM alerts") == kServices);
  std::map<std::string, int> per_key;
  for (const auto& r : rx.received("/ops")) {
    ++per_key[r.key];
  }
  CHECK(per_key.size() == static_cast<std::size_t>(kServices));
  for (const auto& [key, n] : per_key) {
    CHECK(n <= 2);
  }
  agent.process().stop(SIGTERM);
  hub->process().stop(SIGTERM);
}
