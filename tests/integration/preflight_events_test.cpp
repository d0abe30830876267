// The pre-flight checklist and inbound events against a real vitals-hub, NATS, PostgreSQL and a
// real vitals-agent: ready / not ready, an admin override that flips `ready` (audited) and the
// flag on hub.<id>.ready; events over HTTP (API key and HMAC signature) and NATS that run a
// harmless agent action (it appends a line to a file), with their refusals (400, 401, 422).
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/nats/nats_client.hpp"
#include "common/nats/subjects.hpp"
#include "hub/notify/signing.hpp"
#include "hub/preflight/ready_codec.hpp"
#include "tests/support/pg_query.hpp"
#include "tests/support/stack.hpp"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

std::unique_ptr<nats::Connection> connectBus(const Fixture& fx, const std::string& name) {
  nats::ConnectOptions o;
  o.url = fx.nats_url;
  o.name = name;
  auto c = nats::Connection::connect(o);
  REQUIRE(c);
  return std::move(*c);
}

std::vector<std::string> fileLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

// POST with arbitrary headers and no API key (the test support client always sends the key).
HttpReply postWithHeaders(const std::string& dir, int port, const std::string& path,
                          const std::string& body,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
  const std::string body_file = dir + "/curl-body.json";
  const std::string out_file = dir + "/curl-out.json";
  writeFile(body_file, body);
  std::string cmd = "curl -s -m 20 -o " + out_file + " -w '%{http_code}' -X POST" +
                    " -H 'Content-Type: application/json'";
  for (const auto& [k, v] : headers) {
    cmd += " -H '" + k + ": " + v + "'";
  }
  cmd += " --data-binary @" + body_file + " http://127.0.0.1:" + std::to_string(port) + path;
  HttpReply r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return r;
  }
  char buf[16] = {};
  const auto n = std::fread(buf, 1, sizeof buf - 1, p);
  ::pclose(p);
  r.status = n > 0 ? std::atoi(buf) : -1;
  r.body = readFile(out_file);
  return r;
}

}  // namespace

TEST_CASE(
    "pre-flight is not ready with a failing required check until an audited admin "
    "override and hub.<id>.ready carries the flag",
    "[integration][hub][preflight]") {
  const auto fx = Fixture::load();
  const std::string dir = fx.workDir("preflight");
  HubOptions o;
  o.hub_id = "hub-preflight";
  o.db_conninfo = fx.freshDatabase("preflight");
  o.http_port = freeTcpPort();
  o.extra_yaml =
      "preflight:\n"
      "  interval: 1m\n"
      "  publish_interval: 1s\n"
      "  not_ready_interval: 1s\n"
      "  checks:\n"
      "    - {name: database, kind: database_reachable}\n"
      "    - {name: migrations, kind: migrations_current}\n"
      "    - {name: stream, kind: stream_present}\n"
      "    - {name: workers, kind: agents_online, min: 3}\n"
      "    - {name: clocks, kind: clock_skew, required: false}\n";

  // Subscribed before the hub starts: every HubReady it publishes is seen.
  auto bus = connectBus(fx, "preflight-test");
  std::mutex mu;
  std::vector<hub::preflight::ReadyMessage> seen;
  auto sub = bus->subscribe(subjects::hubReady(o.hub_id), [&](const auto& m) {
    auto d = hub::preflight::decodeReady(m.data);
    if (d.ok()) {
      std::lock_guard lock(mu);
      seen.push_back(d.value());
    }
  });
  REQUIRE(sub);
  auto lastSeen = [&]() -> std::optional<hub::preflight::ReadyMessage> {
    std::lock_guard lock(mu);
    if (seen.empty()) {
      return std::nullopt;
    }
    return seen.back();
  };

  HubProcess hubp(fx, dir, o);
  REQUIRE_FALSE(hubp.adminKey().empty());
  if (!hubp.waitReady(30s)) {
    FAIL("hub not ready:\n" << hubp.log());
  }
  // Once the stream is consumed, only `workers` (0 of 3 agents) keeps it from being ready.
  json report;
  const bool settled = waitUntil(
      [&] {
        auto r = httpGet(hubp.port(), "/api/v1/preflight");
        if (r.status != 200) {
          return false;
        }
        report = json::parse(r.body);
        return !report["last_run"].is_null() && report["checks"][2]["passed"] == true;
      },
      20s);
  INFO(report.dump(2));
  REQUIRE(settled);
  CHECK(report["ready"] == false);
  CHECK(report["checks"][0]["passed"] == true);
  CHECK(report["checks"][1]["passed"] == true);
  CHECK(report["checks"][3]["name"] == "workers");
  CHECK(report["checks"][3]["passed"] == false);
  CHECK(report["checks"][3]["error"] == "0 of 0 agent(s) online, need 3");
  CHECK(report["checks"][4]["required"] == false);
  REQUIRE(waitUntil([&] { return lastSeen().has_value(); }, 10s));
  CHECK_FALSE(lastSeen()->report.ready);
  CHECK(lastSeen()->hub_id == "hub-preflight");

  // An operator may not override; an admin may.
  const std::string op_key = createApiKey(fx, hubp.configPath(), dir, "operator", "op");
  REQUIRE_FALSE(op_key.empty());
  const std::string body =
      R"({"check":"workers","reason":"workers are being replaced","expires_in":"1h"})";
  CHECK(httpRequest(hubp.port(), "POST", "/api/v1/preflight/overrides", body, op_key).status ==
        403);
  auto created = httpRequest(hubp.port(), "POST", "/api/v1/preflight/overrides", body);
  INFO(created.body);
  REQUIRE(created.status == 201);
  const auto override_json = json::parse(created.body);
  CHECK(override_json["ready"] == true);

  report = json::parse(httpGet(hubp.port(), "/api/v1/preflight").body);
  CHECK(report["ready"] == true);
  CHECK(report["checks"][3]["overridden"] == true);
  CHECK(report["checks"][3]["override"]["reason"] == "workers are being replaced");
  CHECK(json::parse(httpGet(hubp.port(), "/api/v1/preflight/overrides").body)["overrides"].size() ==
        1);
  CHECK(waitUntil([&] { return lastSeen()->report.ready; }, 10s));
  CHECK(count(o.db_conninfo,
              "SELECT count(*) FROM audit_log WHERE action = 'preflight.override.create' AND "
              "target = 'preflight:workers' AND actor LIKE 'key:%' AND "
              "parameters->>'reason' = 'workers are being replaced'") == 1);

  // Revoked: not ready again, and that is audited too.
  const auto id = std::to_string(override_json["id"].get<long long>());
  auto revoked = httpRequest(hubp.port(), "DELETE", "/api/v1/preflight/overrides/" + id);
  REQUIRE(revoked.status == 200);
  CHECK(json::parse(revoked.body)["ready"] == false);
  CHECK(waitUntil([&] { return !lastSeen()->report.ready; }, 10s));
  CHECK(count(o.db_conninfo,
              "SELECT count(*) FROM audit_log WHERE action = 'preflight.override.delete'") == 1);

  auto ran = httpRequest(hubp.port(), "POST", "/api/v1/preflight/run");
  CHECK(ran.status == 200);
  CHECK(json::parse(ran.body)["ready"] == false);
  CHECK(count(o.db_conninfo,
              "SELECT count(*) FROM audit_log WHERE action = 'preflight.run' AND "
              "outcome = 'not-ready'") == 1);
  hubp.process().stop(SIGTERM);
}

TEST_CASE(
    "a service_status check follows its service: ready turns false soon after it goes down, "
    "long before the next run, and the flag is published",
    "[integration][hub][preflight]") {
  const auto fx = Fixture::load();
  resetStream(fx);
  const std::string dir = fx.workDir("preflight-follow");
  HubOptions o;
  o.hub_id = "hub-preflight-follow";
  o.db_conninfo = fx.freshDatabase("preflight_follow");
  o.http_port = freeTcpPort();
  // Full runs and repeats of the flag only hourly: a change seen sooner came from the watch.
  o.extra_yaml =
      "preflight:\n"
      "  interval: 1h\n"
      "  not_ready_interval: 1h\n"
      "  publish_interval: 1h\n"
      "  checks:\n"
      "    - {name: core, kind: service_status, services: [web]}\n";
  auto bus = connectBus(fx, "preflight-follow-test");
  std::mutex mu;
  std::vector<bool> flags;
  auto sub = bus->subscribe(subjects::hubReady(o.hub_id), [&](const auto& m) {
    if (auto d = hub::preflight::decodeReady(m.data); d.ok()) {
      std::lock_guard lock(mu);
      flags.push_back(d.value().report.ready);
    }
  });
  REQUIRE(sub);
  auto lastFlag = [&]() -> std::optional<bool> {
    std::lock_guard lock(mu);
    return flags.empty() ? std::nullopt : std::optional<bool>(flags.back());
  };
  HubProcess hubp(fx, dir, o);
  if (!hubp.waitReady(30s)) {
    FAIL("hub not ready:\n" << hubp.log());
  }

  const std::string state_file = dir + "/web-state";
  writeFile(state_file, "0\n");
  writeFile(dir + "/agent.yaml",
            "agent_id: follow-agent\nnats:\n  url: " + fx.nats_url +
                "\npublish:\n  max_delay: 20ms\n"
                "checks:\n  - name: web-exec\n    service: web\n    kind: exec\n"
                "    argv: [/bin/sh, -c, \"exit $(cat " +
                state_file +
                ")\"]\n    interval: 100ms\n    timeout: 90ms\n    retries: 1\n    recover: 1\n");
  ChildProcess agent({fx.bin_dir + "/vitals-agent", "--config", dir + "/agent.yaml"},
                     dir + "/agent.log", fx.run_dir + "/pids");
  auto ready = [&] {
    const auto r = httpGet(hubp.port(), "/api/v1/preflight");
    return r.status == 200 && json::parse(r.body)["ready"] == true;
  };
  // The hub started before web was known (not ready); the watch turns it ready.
  if (!waitUntil(ready, 20s)) {
    FAIL("never ready:\n" << hubp.log() << "\n" << agent.log());
  }
  CHECK(waitUntil([&] { return lastFlag() == std::optional<bool>(true); }, 5s));

  writeFile(state_file, "2\n");
  REQUIRE(waitUntil(
      [&] {
        const auto r = httpGet(hubp.port(), "/api/v1/services/web");
        return r.status == 200 && json::parse(r.body)["status"] == "down";
      },
      10s));
  const auto down_seen = std::chrono::steady_clock::now();
  // Hourly runs: only the watch (every 500 ms by default) can turn it false this soon.
  REQUIRE(waitUntil([&] { return !ready(); }, 5s));
  std::printf(
      "service down seen by the API -> ready false: %.0f ms\n",
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - down_seen)
          .count());
  CHECK(waitUntil([&] { return lastFlag() == std::optional<bool>(false); }, 5s));
  const auto report = json::parse(httpGet(hubp.port(), "/api/v1/preflight").body);
  CHECK(report["checks"][0]["error"] == "web is down");

  writeFile(state_file, "0\n");
  CHECK(waitUntil(ready, 5s));
  CHECK(waitUntil([&] { return lastFlag() == std::optional<bool>(true); }, 5s));
  agent.stop(SIGTERM);
  hubp.process().stop(SIGTERM);
}

TEST_CASE(
    "inbound events over HTTP with a key or an HMAC signature and over NATS run the "
    "agent's action and are audited and bad payloads or signatures and unknown types are "
    "refused",
    "[integration][hub][events]") {
  const auto fx = Fixture::load();
  const std::string dir = fx.workDir("events");
  const std::string out = dir + "/out.txt";
  const std::string script = dir + "/append.sh";
  writeFile(script, "#!/bin/sh\necho \"$1\" >> \"$2\"\necho appended \"$1\"\n");
  ::chmod(script.c_str(), 0755);
  const std::string secret = "events-test-secret-0123456789";
  writeFile(dir + "/events.secret", secret + "\n");
  writeFile(dir + "/actions.yaml",
            "rules:\n"
            "  - name: append-line\n"
            "    event_type: test.append\n"
            "    target: \"web\"\n"
            "    action: append\n"
            "    cooldown: 0s\n"
            "    params:\n"
            "      line:\n"
            "        pattern: \"^[a-z0-9-]{1,32}$\"\n"
            "        required: true\n");

  HubOptions o;
  o.hub_id = "hub-events";
  o.db_conninfo = fx.freshDatabase("events");
  o.http_port = freeTcpPort();
  o.extra_yaml = "events:\n  rules_file: " + dir + "/actions.yaml\n" +
                 "  hmac:\n    secret_file: " + dir + "/events.secret\n" +
                 "  action_timeout: 10s\n";
  HubProcess hubp(fx, dir, o);
  if (!hubp.waitReady(30s)) {
    FAIL("hub not ready:\n" << hubp.log());
  }

  // The agent that reports service "web" and may run `append` (and nothing else).
  const std::string agent_config = dir + "/agent.yaml";
  writeFile(agent_config, "agent_id: events-agent\nnats:\n  url: " + fx.nats_url +
                              "\nheartbeat_interval: 2s\nlog:\n  level: info\n  format: text\n"
                              "actions:\n  append:\n    argv: [" +
                              script + ", \"{line}\", " + out +
                              "]\n    params: {line: \"^[a-z0-9-]{1,32}$\"}\n    timeout: 5s\n"
                              "checks:\n  - name: web-tcp\n    service: web\n    kind: tcp\n"
                              "    host: 127.0.0.1\n    port: " +
                              std::to_string(fx.nats_port) +
                              "\n    interval: 1s\n    timeout: 500ms\n");
  ChildProcess agent({fx.bin_dir + "/vitals-agent", "--config", agent_config}, dir + "/agent.log",
                     fx.run_dir + "/pids");
  if (!waitUntil([&] { return httpGet(hubp.port(), "/api/v1/services/web").status == 200; }, 30s)) {
    FAIL("the hub never learned service web:\n" << hubp.log() << "\n" << agent.log());
  }

  SECTION("HTTP with an API key: runs, stored and audited; 400, 403 and 422 run nothing") {
    auto r = httpRequest(
        hubp.port(), "POST", "/api/v1/events",
        R"({"event_type":"test.append","target":"web","payload":{"line":"from-http"}})");
    INFO(r.body << "\n" << agent.log());
    REQUIRE(r.status == 200);
    const auto body = json::parse(r.body);
    CHECK(body["outcome"] == "ok");
    CHECK(body["agent"] == "events-agent");
    CHECK(body["action"] == "append");
    CHECK(body["result"]["exit_code"] == 0);
    CHECK(fileLines(out) == std::vector<std::string>{"from-http"});
    CHECK(count(o.db_conninfo,
                "SELECT count(*) FROM inbound_events WHERE event_type = 'test.append' AND "
                "outcome = 'ok' AND source LIKE 'http:key:%' AND params->>'line' = 'from-http'") ==
          1);
    CHECK(count(o.db_conninfo,
                "SELECT count(*) FROM audit_log WHERE action = 'event.accept' AND actor LIKE "
                "'key:%'") == 1);
    CHECK(count(o.db_conninfo,
                "SELECT count(*) FROM audit_log WHERE action = 'event.action' AND "
                "target = 'agent:events-agent' AND outcome = 'ok'") == 1);

    auto bad = httpRequest(
        hubp.port(), "POST", "/api/v1/events",
        R"({"event_type":"test.append","target":"web","payload":{"line":"Bad Line; rm"}})");
    CHECK(bad.status == 400);
    CHECK(bad.body.find("parameter line") != std::string::npos);
    auto missing = httpRequest(hubp.port(), "POST", "/api/v1/events",
                               R"({"event_type":"test.append","target":"web"})");
    CHECK(missing.status == 400);
    auto unknown = httpRequest(hubp.port(), "POST", "/api/v1/events",
                               R"({"event_type":"nobody.knows","target":"web"})");
    CHECK(unknown.status == 422);
    CHECK(json::parse(unknown.body)["error"]["code"] == "unknown_event_type");
    CHECK(fileLines(out).size() == 1);
    CHECK(count(o.db_conninfo, "SELECT count(*) FROM inbound_events") == 1);

    // controller_override: refused to an operator (the rule does not allow it), run for an admin.
    const std::string op_key = createApiKey(fx, hubp.configPath(), dir, "operator", "op");
    REQUIRE_FALSE(op_key.empty());
    const std::string override_body =
        R"({"event_type":"test.append","target":"web","payload":{"line":"by-admin"},)"
        R"("controller_override":"events-agent"})";
    auto forbidden = httpRequest(hubp.port(), "POST", "/api/v1/events", override_body, op_key);
    CHECK(forbidden.status == 403);
    CHECK(json::parse(forbidden.body)["error"]["code"] == "override_forbidden");
    auto by_admin = httpRequest(hubp.port(), "POST", "/api/v1/events", override_body);
    REQUIRE(by_admin.status == 200);
    CHECK(json::parse(by_admin.body)["agent"] == "events-agent");
    CHECK(fileLines(out) == std::vector<std::string>{"from-http", "by-admin"});
    auto listed = json::parse(httpGet(hubp.port(), "/api/v1/events?limit=5").body);
    CHECK(listed["events"].size() == 2);
  }

  SECTION("HTTP with an HMAC signature and no key: accepted; a bad signature is refused") {
    const std::string body =
        R"({"event_type":"test.append","target":"web","payload":{"line":"from-hmac"}})";
    const auto ts = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    auto r =
        postWithHeaders(dir, hubp.port(), "/api/v1/events", body,
                        {{"X-Vitals-Timestamp", std::to_string(ts)},
                         {"X-Vitals-Signature", hub::notify::webhookSignature(secret, ts, body)}});
    INFO(r.body << "\n" << hubp.log());
    REQUIRE(r.status == 200);
    CHECK(json::parse(r.body)["outcome"] == "ok");
    CHECK(json::parse(r.body)["source"] == "http:hmac");
    CHECK(fileLines(out) == std::vector<std::string>{"from-hmac"});

    const std::string forged =
        R"({"event_type":"test.append","target":"web","payload":{"line":"forged"}})";
    auto refused = postWithHeaders(
        dir, hubp.port(), "/api/v1/events", forged,
        {{"X-Vitals-Timestamp", std::to_string(ts)},
         {"X-Vitals-Signature", hub::notify::webhookSignature("not-the-secret", ts, forged)}});
    CHECK(refused.status == 401);
    auto unsigned_ = postWithHeaders(dir, hubp.port(), "/api/v1/events", forged, {});
    CHECK(unsigned_.status == 401);
    auto stale = postWithHeaders(
        dir, hubp.port(), "/api/v1/events", forged,
        {{"X-Vitals-Timestamp", std::to_string(ts - 3600)},
         {"X-Vitals-Signature", hub::notify::webhookSignature(secret, ts - 3600, forged)}});
    CHECK(stale.status == 401);
    CHECK(fileLines(out) == std::vector<std::string>{"from-hmac"});
    CHECK(
        count(o.db_conninfo,
              "SELECT count(*) FROM audit_log WHERE action = 'event.accept' AND actor = 'hmac'") ==
        1);
  }

  SECTION("NATS vitals.events.<source>: runs the action and answers on the reply subject") {
    auto bus = connectBus(fx, "events-test");
    auto reply = bus->request(
        subjects::events("ci"),
        R"({"event_type":"test.append","target":"web","payload":{"line":"from-nats"}})", 15s);
    INFO(hubp.log());
    REQUIRE(reply.ok());
    const auto body = json::parse(reply.value());
    CHECK(body["outcome"] == "ok");
    CHECK(body["source"] == "nats:ci");
    CHECK(fileLines(out) == std::vector<std::string>{"from-nats"});
    CHECK(count(o.db_conninfo,
                "SELECT count(*) FROM audit_log WHERE action = 'event.action' AND "
                "actor = 'nats:ci' AND outcome = 'ok'") == 1);
    auto bad = bus->request(subjects::events("ci"), R"({"event_type":"test.append"})", 15s);
    REQUIRE(bad.ok());
    CHECK(json::parse(bad.value())["status"] == 400);
  }
  agent.stop(SIGTERM);
  hubp.process().stop(SIGTERM);
}
