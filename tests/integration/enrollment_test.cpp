// Agent enrollment against a real nats-server that includes the users file the hub owns, a real
// hub and a real agent: a token made through the API enrolls a node with `vitals-agent enroll`,
// the agent's results reach the hub under its own NKEY identity, and a revocation closes its
// connection within 5 s (nats-server reloads the file and drops the user), after which nothing
// of it is stored, its refused publishes are counted and the API shows it revoked. Reused,
// expired, forged and malformed tokens, a taken agent id and a plain-HTTP hub are refused with
// nothing written on the node.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/nats/nkeys.hpp"
#include "hub/enroll/nats_users_file.hpp"
#include "tests/support/pg_query.hpp"
#include "tests/support/process.hpp"
#include "tests/support/stack.hpp"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

int fileMode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}

bool exists(const std::string& path) { return std::filesystem::exists(path); }

// Connections nats-server holds for an NKEY user (its monitoring /connz, auth shown).
int connectionsOf(int monitor_port, const std::string& nkey) {
  const auto reply = httpGet(monitor_port, "/connz?auth=true&limit=1000");
  auto j = json::parse(reply.body, nullptr, false);
  if (!j.is_object() || !j.contains("connections") || !j["connections"].is_array()) {
    return -1;
  }
  int n = 0;
  for (const auto& c : j["connections"]) {
    if (c.value("authorized_user", std::string()) == nkey) {
      ++n;
    }
  }
  return n;
}

struct Enroller {
  const Fixture& fx;
  std::string dir;
  int runs = 0;
  // Runs `vitals-agent enroll ARGS`; the exit code and its output.
  std::pair<int, std::string> operator()(const std::vector<std::string>& args) {
    std::vector<std::string> argv{fx.bin_dir + "/vitals-agent", "enroll"};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess p(argv, dir + "/enroll-" + std::to_string(++runs) + ".log");
    const int code = p.waitExit(30000);
    return {code, p.log()};
  }
};

}  // namespace

TEST_CASE(
    "an enrolled agent publishes under its own NKEY identity, and revoking it closes its "
    "connection within 5 s and refuses everything it sends after",
    "[integration][enrollment][security]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("enrollment");

  // The hub's own identity, and the users file as it is before any enrollment.
  auto hub_key = nkeys::newUserKeyPair();
  REQUIRE(hub_key.ok());
  writeFile(dir + "/hub.nk", hub_key->seed + "\n");
  const std::string users_file = dir + "/vitals-users.conf";
  writeFile(users_file,
            hub::enroll::renderUsersFile({"hub-main", "VITALS", hub_key->public_key, {}}, {}));

  const int nats_port = freeTcpPort();
  const int monitor_port = freeTcpPort();
  writeFile(dir + "/nats.conf", "listen: 127.0.0.1:" + std::to_string(nats_port) + "\n" +
                                    "http: 127.0.0.1:" + std::to_string(monitor_port) + "\n" +
                                    "pid_file: \"" + dir + "/nats.pid\"\n" +
                                    "jetstream { store_dir: \"" + dir +
                                    "/js\", max_memory_store: 64MB, "
                                    "max_file_store: 1GB }\n" +
                                    "include vitals-users.conf\n");
  ChildProcess nats({"/bin/sh", "-c", "exec nats-server -c " + dir + "/nats.conf"},
                    dir + "/nats.log", fx.run_dir + "/pids");
  REQUIRE(waitUntil(
      [&] { return httpGet(monitor_port, "/healthz?js-enabled-only=true").status == 200; }, 15s));
  const std::string nats_url = "nats://127.0.0.1:" + std::to_string(nats_port);

  const std::string db = fx.freshDatabase("enrollment");
  const int http_port = freeTcpPort();
  const std::string hub_yaml = dir + "/hub.yaml";
  writeFile(hub_yaml,
            "hub_id: hub-main\n"
            "nats:\n  url: " +
                nats_url + "\n  nkey: " + hub_key->public_key + "\n  nkey_seed_file: " + dir +
                "/hub.nk\n" + "database:\n  url: \"" + db + "\"\n" +
                "http:\n  listen: \"127.0.0.1:" + std::to_string(http_port) + "\"\n" +
                "ingest:\n  fetch_timeout: 200ms\n  ack_wait: 5s\n" +
                "enrollment:\n  nats_users_file: " + users_file +
                "\n  nats_reload_command: [nats-server, --signal, \"reload=" + dir +
                "/nats.pid\"]\n  agent_nats_url: " + nats_url + "\n" +
                "log:\n  level: info\n  format: text\n");
  const std::string admin = createApiKey(fx, hub_yaml, dir, "admin", "enroll-admin");
  REQUIRE_FALSE(admin.empty());
  setApiKey(http_port, admin);
  ChildProcess hub({fx.bin_dir + "/vitals-hub", "--config", hub_yaml}, dir + "/hub.log",
                   fx.run_dir + "/pids");
  if (!waitUntil([&] { return hub.running() && httpGet(http_port, "/readyz").status == 200; },
                 30s)) {
    FAIL("hub not ready; hub log:\n" << hub.log() << "\nnats log:\n" << nats.log());
  }
  const std::string hub_url = "http://127.0.0.1:" + std::to_string(http_port);

  // An admin makes a token (readonly keys may not).
  const std::string readonly = createApiKey(fx, hub_yaml, dir, "readonly", "enroll-ro");
  CHECK(httpRequest(http_port, "POST", "/api/v1/enrollment-tokens", "{}", readonly).status == 403);
  auto made = httpRequest(http_port, "POST", "/api/v1/enrollment-tokens",
                          R"({"ttl":"1h","labels":{"site":"east"}})");
  REQUIRE(made.status == 201);
  const std::string token = json::parse(made.body)["token"].get<std::string>();
  CHECK(token.rfind("ve_", 0) == 0);
  CHECK(count(db, "SELECT count(*) FROM enrollment_tokens WHERE hash = encode(sha256('" + token +
                      "'::bytea), 'hex')") == 1);
  CHECK(count(db, "SELECT count(*) FROM enrollment_tokens WHERE hash LIKE '%" + token.substr(3) +
                      "%'") == 0);

  Enroller enroll{fx, dir};
  // Bad input first: nothing may appear on the node.
  std::filesystem::create_directories(dir + "/bad");
  const std::string bad_config = dir + "/bad/agent.yaml";
  {
    auto [rc, out] =
        enroll({"--hub", hub_url, "--token", token, "--config", bad_config, "--agent-id", "e1"});
    CHECK(rc == 1);
    CHECK(out.find("is not HTTPS") != std::string::npos);
  }
  {
    auto [rc, out] = enroll({"--hub", "http://10.1.2.3:8080", "--insecure", "--token", token,
                             "--config", bad_config, "--agent-id", "e1"});
    CHECK(rc == 1);
    CHECK(out.find("only to a hub on this host") != std::string::npos);
  }
  {
    auto [rc, out] = enroll({"--hub", hub_url, "--insecure", "--token", "not-a-token", "--config",
                             bad_config, "--agent-id", "e1"});
    CHECK(rc == 1);
    CHECK(out.find("not an enrollment token") != std::string::npos);
  }
  {  // well-formed but forged: the hub does not know it
    auto [rc, out] =
        enroll({"--hub", hub_url, "--insecure", "--token", "ve_" + std::string(43, 'A'), "--config",
                bad_config, "--agent-id", "e1"});
    CHECK(rc == 1);
    CHECK(out.find("HTTP 401") != std::string::npos);
    CHECK(out.find("not known") != std::string::npos);
  }
  CHECK(std::filesystem::is_empty(dir + "/bad"));

  // The node enrolls.
  std::filesystem::create_directories(dir + "/node");
  const std::string config = dir + "/node/agent.yaml";
  auto [rc, out] = enroll(
      {"--hub", hub_url, "--insecure", "--token", token, "--config", config, "--agent-id", "e1"});
  INFO("enroll output:\n" << out << "\nhub log:\n" << hub.log());
  REQUIRE(rc == 0);
  const std::string seed_file = dir + "/node/agent.nk";
  REQUIRE(exists(config));
  REQUIRE(exists(seed_file));
  CHECK(fileMode(config) == 0600);
  CHECK(fileMode(seed_file) == 0600);
  CHECK(readFile(seed_file).rfind("SU", 0) == 0);
  const std::string nkey = scalar(db, "SELECT nkey FROM enrolled_agents WHERE agent_id = 'e1'");
  REQUIRE(nkey.size() == 56);
  CHECK(readFile(config).find(nkey) != std::string::npos);
  CHECK(readFile(config).find("site") != std::string::npos);  // the token's labels
  CHECK(readFile(users_file).find(nkey) != std::string::npos);
  CHECK(readFile(users_file).find("SU") == std::string::npos);  // public keys only
  CHECK(count(db,
              "SELECT count(*) FROM audit_log WHERE action = 'agent.enroll' AND "
              "target = 'agent:e1'") == 1);

  // The same token again: spent.
  {
    std::filesystem::create_directories(dir + "/node2");
    auto [rc2, out2] = enroll({"--hub", hub_url, "--insecure", "--token", token, "--config",
                               dir + "/node2/agent.yaml", "--agent-id", "e2"});
    CHECK(rc2 == 1);
    CHECK(out2.find("used already") != std::string::npos);
    CHECK(std::filesystem::is_empty(dir + "/node2"));
  }
  // An expired token (made directly in the database, an hour old).
  {
    const std::string old_token = "ve_" + std::string(37, 'x') + "expire";
    query(db,
          "INSERT INTO enrollment_tokens (prefix, hash, creator, created_at, expires_at) "
          "VALUES ('" +
              old_token.substr(0, 11) + "', encode(sha256('" + old_token +
              "'::bytea), 'hex'), 'test', now() - interval '2 hours', now() - interval '1 hour')");
    auto [rc3, out3] = enroll({"--hub", hub_url, "--insecure", "--token", old_token, "--config",
                               dir + "/node2/agent.yaml", "--agent-id", "e2"});
    CHECK(rc3 == 1);
    CHECK(out3.find("expired") != std::string::npos);
    CHECK(std::filesystem::is_empty(dir + "/node2"));
  }
  // A fresh token for an id that is taken: 409, and the token stays usable.
  {
    auto again = httpRequest(http_port, "POST", "/api/v1/enrollment-tokens", R"({"ttl":"10m"})");
    REQUIRE(again.status == 201);
    const auto t2 = json::parse(again.body)["token"].get<std::string>();
    auto [rc4, out4] = enroll({"--hub", hub_url, "--insecure", "--token", t2, "--config",
                               dir + "/node2/agent.yaml", "--agent-id", "e1"});
    CHECK(rc4 == 1);
    CHECK(out4.find("HTTP 409") != std::string::npos);
    CHECK(std::filesystem::is_empty(dir + "/node2"));
    CHECK(count(db,
                "SELECT count(*) FROM enrollment_tokens WHERE used_at IS NULL AND hash = "
                "encode(sha256('" +
                    t2 + "'::bytea), 'hex')") == 1);
  }

  // The agent runs with the written config (plus a check, its metrics and a spool).
  const int metrics_port = freeTcpPort();
  writeFile(config, readFile(config) + "heartbeat_interval: 2s\nheartbeat_listen: 127.0.0.1:" +
                        std::to_string(metrics_port) + "\nlog:\n  level: info\n  format: text\n" +
                        "publish:\n  max_delay: 50ms\nspool:\n  dir: " + dir + "/node/spool\n" +
                        "checks:\n  - name: e1-http\n    kind: http\n    url: " + hub_url +
                        "/healthz\n    interval: 500ms\n    timeout: 400ms\n");
  ChildProcess agent({fx.bin_dir + "/vitals-agent", "--config", config}, dir + "/agent.log",
                     fx.run_dir + "/pids");
  if (!waitUntil(
          [&] {
            return count(db, "SELECT count(*) FROM health_checks WHERE agent_id = 'e1'") >= 2;
          },
          30s)) {
    FAIL("no results from e1; agent log:\n"
         << agent.log() << "\nhub log:\n"
         << hub.log() << "\nnats log:\n"
         << nats.log());
  }
  REQUIRE(connectionsOf(monitor_port, nkey) == 1);

  // Revocation: the connection is gone within 5 s of the call.
  const auto t0 = std::chrono::steady_clock::now();
  auto revoked = httpRequest(http_port, "POST", "/api/v1/agents/e1/revoke");
  INFO("revoke answer: " << revoked.body);
  REQUIRE(revoked.status == 200);
  CHECK(json::parse(revoked.body)["bus"]["applied"] == true);
  const bool closed = waitUntil([&] { return connectionsOf(monitor_port, nkey) == 0; }, 5s);
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  INFO("revocation to closed connection: " << took.count() << " ms");
  WARN("revocation to closed connection: " << took.count() << " ms");
  REQUIRE(closed);
  CHECK(readFile(users_file).find(nkey) == std::string::npos);

  // Nothing it sends afterwards is stored; its refused publishes are counted.
  const auto stored = count(db, "SELECT count(*) FROM health_checks WHERE agent_id = 'e1'");
  const bool counted = waitUntil(
      [&] {
        return metricValue(httpGet(metrics_port, "/metrics").body,
                           "vitals_agent_publish_failures_total") >= 1;
      },
      20s);
  if (!counted) {
    FAIL("refused publishes not counted; agent log:\n" << agent.log());
  }
  // The hub drains what was acknowledged before the revocation; after that nothing grows.
  std::this_thread::sleep_for(2s);
  const auto settled = count(db, "SELECT count(*) FROM health_checks WHERE agent_id = 'e1'");
  std::this_thread::sleep_for(3s);
  CHECK(count(db, "SELECT count(*) FROM health_checks WHERE agent_id = 'e1'") == settled);
  CHECK(settled - stored <= 2);
  CHECK(connectionsOf(monitor_port, nkey) == 0);
  INFO("agent log:\n" << agent.log());
  CHECK(agent.log().find("Authorization Violation") != std::string::npos);

  // The hub shows it revoked, and audited the call.
  auto agents = json::parse(httpGet(http_port, "/api/v1/agents").body, nullptr, false);
  bool shown = false;
  for (const auto& a : agents["agents"]) {
    if (a["id"] == "e1") {
      shown = a["revoked"] == true && a["revoked_at"].is_string();
    }
  }
  CHECK(shown);
  CHECK(count(db,
              "SELECT count(*) FROM audit_log WHERE action = 'agent.revoke' AND "
              "target = 'agent:e1' AND actor LIKE 'key:%'") == 1);
  // Revoking an unknown agent: 404.
  CHECK(httpRequest(http_port, "POST", "/api/v1/agents/nobody/revoke").status == 404);

  // Its service reads unknown, saying it was revoked, and it never counts as unreachable: past
  // its keepalive deadline (3 x 2 s) no grouped "agents unreachable" transition is recorded.
  std::string message;
  const bool unknown = waitUntil(
      [&] {
        auto s = json::parse(httpGet(http_port, "/api/v1/services/e1-http").body, nullptr, false);
        if (!s.is_object() || !s.contains("checks") || s["checks"].empty()) {
          return false;
        }
        message = s["checks"][0].value("message", "");
        return s.value("status", "") == "unknown" && message.rfind("agent revoked at ", 0) == 0;
      },
      15s);
  INFO("message: " << message);
  CHECK(unknown);
  std::this_thread::sleep_for(7s);
  CHECK(count(db,
              "SELECT count(*) FROM status_changes WHERE cause IN ('agents_group', "
              "'unreachable')") == 0);

  agent.stop(SIGKILL);
  CHECK(hub.stop(SIGTERM) == 0);
}
