// The service registry and checks managed through the API against a real hub, NATS, PostgreSQL
// and a real agent: a check created through the API is probed within 5 s; invalid ones and ones
// the SSRF guard blocks are refused with a 422 naming the field; a file check's name is refused;
// deleting a check stops the probing; an agent that was stopped while a check was added picks it
// up when it starts again; PUT /api/v1/services/{name} stores the operator fields.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/pg_query.hpp"
#include "tests/support/stack.hpp"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json parse(const HttpReply& r) {
  json j = json::parse(r.body, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

struct Rig {
  explicit Rig(const std::string& name)
      : fx(Fixture::load()), dir(fx.workDir(name)), db(fx.freshDatabase(name)) {
    resetStream(fx);
    HubOptions o;
    o.hub_id = "hub-registry";
    o.db_conninfo = db;
    o.http_port = freeTcpPort();
    o.batch_size = 50;
    std::filesystem::create_directories(dir + "/hub");
    hub = std::make_unique<HubProcess>(fx, dir + "/hub", o);
    if (!hub->waitReady(30s)) {
      FAIL("hub not ready:\n" << hub->log());
    }
    port = hub->port();
    agent_config = dir + "/agent.yaml";
    // The hub's own port is the loopback target; the allowlist lets API checks reach exactly
    // 127.0.0.1 (127.0.0.2 and the metadata address stay blocked).
    writeFile(agent_config, "agent_id: " + agent_id + "\nnats:\n  url: " + fx.nats_url +
                                "\nheartbeat_interval: 2s\nlog:\n  level: info\n  format: text\n"
                                "publish:\n  max_delay: 50ms\n"
                                "target_allowlist: [\"127.0.0.1/32\"]\n"
                                "checks:\n  - name: file-web\n    kind: tcp\n    host: 127.0.0.1\n"
                                "    port: " +
                                std::to_string(port) + "\n    interval: 1s\n    timeout: 500ms\n");
  }

  void startAgent() {
    agent = std::make_unique<ChildProcess>(
        std::vector<std::string>{fx.bin_dir + "/vitals-agent", "--config", agent_config},
        dir + "/agent.log", fx.run_dir + "/pids");
    if (!waitUntil([&] { return httpGet(port, "/api/v1/services/file-web").status == 200; }, 30s)) {
      FAIL("agent did not register:\n" << agent->log() << "\n" << hub->log());
    }
  }

  HttpReply post(const json& body) {
    return httpRequest(port, "POST", "/api/v1/agents/" + agent_id + "/checks", body.dump());
  }
  json apiCheck(const std::string& name) {
    for (const auto& c : parse(httpGet(port, "/api/v1/agents/" + agent_id + "/checks"))
                             .value("checks", json::array())) {
      if (c.value("name", "") == name) {
        return c;
      }
    }
    return json();
  }
  long long results(const std::string& check) {
    return count(db, "SELECT count(*) FROM health_checks WHERE check_name = '" + check + "'");
  }

  json httpCheck(const std::string& name) {
    return {{"name", name},
            {"kind", "http"},
            {"url", "http://127.0.0.1:" + std::to_string(port) + "/healthz"},
            {"interval", "1s"},
            {"timeout", "500ms"}};
  }

  Fixture fx;
  std::string dir;
  std::string db;
  std::string agent_id = "registry-agent";
  std::string agent_config;
  std::unique_ptr<HubProcess> hub;
  int port = 0;
  std::unique_ptr<ChildProcess> agent;
};

}  // namespace

TEST_CASE("registry: a check created through the API is probed within 5 s and stops when deleted",
          "[hub][integration][registry]") {
  Rig rig("registry_create_delete");
  rig.startAgent();

  const auto created = rig.post(rig.httpCheck("api-web"));
  INFO(created.body);
  REQUIRE(created.status == 201);
  CHECK(parse(created).value("validated_by_agent", false));
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(waitUntil(
      [&] {
        return parse(httpGet(rig.port, "/api/v1/services/api-web")).value("status", "") ==
               "healthy";
      },
      5s));
  WARN("healthy through the API after " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now() - t0)
                                               .count()
                                        << " ms");
  CHECK(waitUntil([&] { return rig.apiCheck("api-web").value("state", "") == "applied"; }, 5s));
  // The registry's derived fields.
  const json service = parse(httpGet(rig.port, "/api/v1/services/api-web"));
  CHECK(service.value("type", "") == "http");
  CHECK(service["endpoints"].size() == 1);

  // Audited in the same transaction as the change.
  CHECK(count(rig.db, "SELECT count(*) FROM audit_log WHERE action = 'check.create'") == 1);

  const auto deleted =
      httpRequest(rig.port, "DELETE", "/api/v1/agents/" + rig.agent_id + "/checks/api-web", "");
  INFO(deleted.body);
  REQUIRE(deleted.status == 200);
  CHECK(waitUntil([&] { return rig.apiCheck("api-web").is_null(); }, 10s));
  // No new results once the agent confirmed (give an in-flight batch a moment first).
  std::this_thread::sleep_for(1500ms);
  const long long before = rig.results("api-web");
  std::this_thread::sleep_for(3s);
  CHECK(rig.results("api-web") == before);
  CHECK(rig.results("file-web") > 0);
}

TEST_CASE("registry: invalid and guarded API checks are refused with a 422 naming the field",
          "[hub][integration][registry]") {
  Rig rig("registry_refusals");
  rig.startAgent();

  // The hub's own checks.
  auto r = rig.post({{"name", "no-url"}, {"kind", "http"}});
  CHECK(r.status == 422);
  CHECK(parse(r)["error"].value("field", "") == "url");
  r = rig.post({{"name", "cmd"}, {"kind", "exec"}, {"argv", {"/bin/true"}}});
  CHECK(r.status == 422);
  CHECK(parse(r)["error"].value("field", "") == "kind");

  // The agent's loader (dry run): a bad duration and an unknown key.
  json bad = rig.httpCheck("bad-interval");
  bad["interval"] = "banana";
  r = rig.post(bad);
  INFO(r.body);
  CHECK(r.status == 422);
  CHECK(parse(r)["error"].value("field", "") == "interval");
  json typo = rig.httpCheck("typo");
  typo["expect_status"] = 200;
  r = rig.post(typo);
  CHECK(r.status == 422);
  CHECK(parse(r)["error"].value("message", "").find("expect_status") != std::string::npos);

  // The SSRF guard: the metadata address and loopback outside the allowlist.
  r = rig.post({{"name", "metadata"},
                {"kind", "http"},
                {"url", "http://169.254.169.254/latest/meta-data/"}});
  INFO(r.body);
  CHECK(r.status == 422);
  CHECK(parse(r)["error"].value("field", "") == "url");
  CHECK(parse(r)["error"].value("message", "").find("SSRF guard") != std::string::npos);
  r = rig.post({{"name", "other-loopback"}, {"kind", "tcp"}, {"host", "127.0.0.2"}, {"port", 80}});
  CHECK(r.status == 422);
  CHECK(parse(r)["error"].value("field", "") == "host");

  // A file check's name: the file wins.
  r = rig.post(rig.httpCheck("file-web"));
  CHECK(r.status == 422);
  CHECK(parse(r)["error"].value("message", "").find("config file") != std::string::npos);

  // Nothing was stored.
  CHECK(parse(httpGet(rig.port, "/api/v1/agents/" + rig.agent_id + "/checks"))["checks"].empty());
  // An unknown agent.
  CHECK(httpRequest(rig.port, "POST", "/api/v1/agents/nobody/checks", rig.httpCheck("x").dump())
            .status == 404);
}

TEST_CASE("registry: an agent stopped while a check was added picks it up when it starts",
          "[hub][integration][registry]") {
  Rig rig("registry_offline");
  rig.startAgent();
  REQUIRE(rig.agent->stop(SIGTERM) == 0);

  const auto created = rig.post(rig.httpCheck("api-late"));
  INFO(created.body);
  REQUIRE(created.status == 201);
  CHECK_FALSE(parse(created).value("validated_by_agent", true));  // nobody answered
  CHECK(rig.apiCheck("api-late").value("state", "") == "pending");

  rig.startAgent();
  CHECK(waitUntil([&] { return rig.apiCheck("api-late").value("state", "") == "applied"; }, 15s));
  CHECK(waitUntil(
      [&] {
        return parse(httpGet(rig.port, "/api/v1/services/api-late")).value("status", "") ==
               "healthy";
      },
      10s));
}

TEST_CASE("registry: PUT /api/v1/services/{name} stores the operator fields for every view",
          "[hub][integration][registry]") {
  Rig rig("registry_service_meta");
  rig.startAgent();
  const json body = {{"owner", "team-web"},
                     {"tags", {"prod", "edge"}},
                     {"depends_on", {"db"}},
                     {"version", "1.2.3"},
                     {"description", "the front door"}};
  auto r = httpRequest(rig.port, "PUT", "/api/v1/services/file-web", body.dump());
  INFO(r.body);
  REQUIRE(r.status == 200);
  const json one = parse(httpGet(rig.port, "/api/v1/services/file-web"));
  CHECK(one.value("owner", "") == "team-web");
  CHECK(one["tags"] == json({"edge", "prod"}));
  CHECK(one.value("version", "") == "1.2.3");
  CHECK(one.value("type", "") == "tcp");
  bool listed = false;
  const auto list = httpGet(rig.port, "/api/v1/services");
  INFO(list.body);
  const json services = parse(list);
  for (const auto& s : services["services"]) {
    if (s.value("name", "") == "file-web") {
      listed = s.value("owner", "") == "team-web" && s["depends_on"] == json::array({"db"});
    }
  }
  CHECK(listed);
  CHECK(count(rig.db, "SELECT count(*) FROM service_meta WHERE owner = 'team-web'") == 1);
  CHECK(count(rig.db, "SELECT count(*) FROM audit_log WHERE action = 'service.update'") == 1);

  r = httpRequest(rig.port, "PUT", "/api/v1/services/file-web", json({{"tags", "prod"}}).dump());
  CHECK(r.status == 422);
  CHECK(parse(r)["error"].value("field", "") == "tags");
  r = httpRequest(rig.port, "PUT", "/api/v1/services/file-web", json({{"colour", "red"}}).dump());
  CHECK(r.status == 422);
  CHECK(parse(r)["error"].value("field", "") == "colour");
}
