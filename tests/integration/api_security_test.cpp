// The REST API's front door against a real hub and PostgreSQL: keys made with
// `vitals-hub keys create`, 401/403/200, revocation (API and CLI), vitalsctl with a key, the
// audit rows of mutating calls (served and refused), 413 on a huge body, 429 with Retry-After,
// the errors of the HTTP layer itself (414, 415, no Content-Length, a garbled request line), and
// the optional TLS listener.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/pg_query.hpp"
#include "tests/support/stack.hpp"

using namespace vitals::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

int runCtl(const Fixture& fx, const std::string& dir, std::vector<std::string> args,
           std::string& output) {
  std::vector<std::string> argv{fx.bin_dir + "/vitalsctl"};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess p(argv, dir + "/ctl-" + std::to_string(freeTcpPort()) + ".log",
                 fx.run_dir + "/pids");
  const int code = p.waitExit(20000);
  output = p.log();
  return code;
}

// Sends `request` as is on a fresh connection and returns everything the hub answers before it
// closes (or 5 s pass).
std::string rawExchange(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  std::string reply;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return reply;
}

}  // namespace

TEST_CASE("API keys: 401 without a valid key, 403 below the route's role, revoked keys "
          "refused, and every mutating call audited",
          "[integration][security]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("api_security");
  HubOptions ho;
  ho.db_conninfo = fx.freshDatabase("api_security");
  ho.http_port = freeTcpPort();
  ho.extra_yaml = "api:\n  key_cache_ttl: 500ms\n";
  HubProcess hub(fx, dir, ho);
  REQUIRE(hub.adminKey().size() == 46);
  if (!hub.waitReady(20s)) {
    FAIL("hub did not become ready:\n" << hub.log());
  }
  const int port = hub.port();
  const std::string admin = hub.adminKey();
  const std::string reader = createApiKey(fx, hub.configPath(), dir, "readonly", "reader");
  REQUIRE(reader.size() == 46);

  // Public: the probes and the page.
  CHECK(httpRequest(port, "GET", "/healthz", "", "").status == 200);
  CHECK(httpRequest(port, "GET", "/readyz", "", "").status == 200);
  CHECK(httpRequest(port, "GET", "/metrics", "", "").status == 200);
  CHECK(httpRequest(port, "GET", "/", "", "").status == 200);

  // 401: no key, a malformed one, an unknown one; with a WWW-Authenticate challenge.
  auto r = httpRequest(port, "GET", "/api/v1/services", "", "");
  CHECK(r.status == 401);
  CHECK_THAT(r.headers["WWW-Authenticate"], Catch::StartsWith("Bearer"));
  CHECK(json::parse(r.body)["error"]["code"] == "unauthorized");
  CHECK(httpRequest(port, "GET", "/api/v1/services", "", "not-a-key").status == 401);
  CHECK(httpRequest(port, "GET", "/api/v1/services", "", "vk_" + std::string(43, 'x')).status ==
        401);

  // 200 / 403 by role.
  CHECK(httpRequest(port, "GET", "/api/v1/services", "", reader).status == 200);
  r = httpRequest(port, "POST", "/api/v1/keys", R"({"name":"x","role":"admin"})", reader);
  CHECK(r.status == 403);
  CHECK(json::parse(r.body)["error"]["code"] == "forbidden");
  CHECK(httpRequest(port, "GET", "/api/v1/keys", "", reader).status == 403);

  // An admin makes an operator key through the API; it is shown once.
  r = httpRequest(port, "POST", "/api/v1/keys", R"({"name":"ops","role":"operator"})", admin);
  REQUIRE(r.status == 201);
  const auto created = json::parse(r.body);
  const std::string op = created["key"];
  CHECK(op.rfind("vk_", 0) == 0);
  CHECK(httpRequest(port, "GET", "/api/v1/keys", "", op).status == 403);
  CHECK(httpRequest(port, "GET", "/api/v1/agents", "", op).status == 200);
  r = httpRequest(port, "GET", "/api/v1/keys", "", admin);
  REQUIRE(r.status == 200);
  CHECK(r.body.find(op) == std::string::npos);
  CHECK(json::parse(r.body)["keys"].size() == 3);

  // vitalsctl sends the key from its config file.
  writeFile(dir + "/admin.key", admin + "\n");
  writeFile(dir + "/ctl.yaml", "hub: http://127.0.0.1:" + std::to_string(port) +
                                   "\napi_key_file: " + dir + "/admin.key\n");
  std::string out;
  CHECK(runCtl(fx, dir, {"--config", dir + "/ctl.yaml", "keys", "list"}, out) == 0);
  CHECK_THAT(out, Catch::Contains("reader") && Catch::Contains("ops"));
  CHECK(runCtl(fx, dir, {"--hub", "http://127.0.0.1:" + std::to_string(port), "status"}, out) ==
        1);
  CHECK_THAT(out, Catch::Contains("401"));

  // Revoked through the API: refused at once on this hub.
  const std::int64_t reader_id = std::stoll(scalar(
      ho.db_conninfo, "SELECT id FROM api_keys WHERE name = 'reader'"));
  r = httpRequest(port, "DELETE", "/api/v1/keys/" + std::to_string(reader_id), "", admin);
  CHECK(r.status == 200);
  CHECK(httpRequest(port, "GET", "/api/v1/services", "", reader).status == 401);
  // Revoked with the CLI (another process): refused within api.key_cache_ttl.
  ChildProcess revoke({fx.bin_dir + "/vitals-hub", "keys", "revoke",
                       std::to_string(created["id"].get<std::int64_t>()), "--config",
                       hub.configPath()},
                      dir + "/revoke.log", fx.run_dir + "/pids");
  REQUIRE(revoke.waitExit(20000) == 0);
  CHECK(waitUntil([&] { return httpRequest(port, "GET", "/api/v1/agents", "", op).status == 401; },
                  5s));

  // An expired key: refused (the cached entry is re-read within api.key_cache_ttl).
  const std::string brief = createApiKey(fx, hub.configPath(), dir, "readonly", "brief", "1h");
  REQUIRE(brief.size() == 46);
  CHECK(httpRequest(port, "GET", "/api/v1/agents", "", brief).status == 200);
  CHECK(count(ho.db_conninfo, "SELECT count(*) FROM api_keys WHERE name = 'brief' AND "
                              "expires_at > now() + interval '59 minutes'") == 1);
  query(ho.db_conninfo,
        "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE name = 'brief'");
  CHECK(waitUntil(
      [&] { return httpRequest(port, "GET", "/api/v1/agents", "", brief).status == 401; }, 5s));
  CHECK_THAT(httpRequest(port, "GET", "/api/v1/agents", "", brief).body, Catch::Contains("expired"));

  // Audit: the served and the refused mutating calls, and the CLI's own rows.
  const auto& db = ho.db_conninfo;
  CHECK(count(db, "SELECT count(*) FROM audit_log WHERE action = 'POST /api/v1/keys' AND "
                  "outcome = 'ok' AND actor LIKE 'key:%'") == 1);
  CHECK(count(db, "SELECT count(*) FROM audit_log WHERE action = 'POST /api/v1/keys' AND "
                  "outcome = 'denied' AND actor = 'key:" +
                      std::to_string(reader_id) + "'") == 1);
  CHECK(count(db, "SELECT count(*) FROM audit_log WHERE action = 'DELETE /api/v1/keys/{id}' "
                  "AND target = '/api/v1/keys/" +
                      std::to_string(reader_id) + "' AND parameters->>'id' = '" +
                      std::to_string(reader_id) + "'") == 1);
  CHECK(count(db, "SELECT count(*) FROM audit_log WHERE action = 'key.create' AND "
                  "actor LIKE 'cli:%'") == 3);
  CHECK(count(db, "SELECT count(*) FROM audit_log WHERE action = 'key.revoke'") == 1);
  CHECK(count(db, "SELECT count(*) FROM audit_log WHERE action LIKE 'GET %'") == 0);
  // Only hashes are stored; last use is recorded.
  CHECK(count(db, "SELECT count(*) FROM api_keys WHERE hash = '" + admin + "'") == 0);
  CHECK(count(db, "SELECT count(*) FROM api_keys WHERE last_used_at IS NOT NULL") >= 2);
}

TEST_CASE("a body over api.max_body_bytes is 413 and a key over its rate gets 429 with "
          "Retry-After",
          "[integration][security]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("api_limits");
  HubOptions ho;
  ho.db_conninfo = fx.freshDatabase("api_limits");
  ho.http_port = freeTcpPort();
  ho.extra_yaml =
      "api:\n  max_body_bytes: 4KiB\n  rate_limit:\n    requests_per_second: 1\n    burst: 5\n";
  HubProcess hub(fx, dir, ho);
  if (!hub.waitReady(20s)) {
    FAIL("hub did not become ready:\n" << hub.log());
  }
  const int port = hub.port();
  auto r = httpRequest(port, "POST", "/api/v1/keys",
                       R"({"name":")" + std::string(64 * 1024, 'x') + R"(","role":"admin"})");
  CHECK(r.status == 413);
  CHECK_THAT(r.body, Catch::Contains("payload_too_large"));

  int status = 0;
  std::string retry_after;
  for (int i = 0; i < 30 && status != 429; ++i) {
    r = httpGet(port, "/api/v1/services");
    status = r.status;
    retry_after = r.headers["Retry-After"];
  }
  CHECK(status == 429);
  REQUIRE_FALSE(retry_after.empty());
  CHECK(std::stoi(retry_after) >= 1);
  CHECK(httpGet(port, "/healthz").status == 200);  // public routes are not limited
}

TEST_CASE("with tls_cert_file and tls_key_file the hub serves HTTPS only",
          "[integration][security]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("api_tls");
  ChildProcess gen({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", dir + "/hub.key", "-out",
                    dir + "/hub.crt"},
                   dir + "/openssl.log");
  REQUIRE(gen.waitExit(30000) == 0);
  HubOptions ho;
  ho.db_conninfo = fx.freshDatabase("api_tls");
  ho.http_port = freeTcpPort();
  ho.extra_yaml = "api:\n  tls_cert_file: " + dir + "/hub.crt\n  tls_key_file: " + dir +
                  "/hub.key\n";
  HubProcess hub(fx, dir, ho);
  httplib::SSLClient tls("127.0.0.1", ho.http_port);
  tls.enable_server_certificate_verification(false);
  tls.set_connection_timeout(2, 0);
  const bool up = waitUntil(
      [&] {
        auto res = tls.Get("/readyz");
        return res && res->status == 200;
      },
      20s);
  INFO(hub.log());
  REQUIRE(up);
  auto res = tls.Get("/api/v1/services", {{"Authorization", "Bearer " + hub.adminKey()}});
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(httpGet(ho.http_port, "/healthz").status != 200);  // plain HTTP is not served

  // A key file that does not match: a clear start-up error.
  HubOptions bad = ho;
  bad.http_port = freeTcpPort();
  bad.create_admin_key = false;
  bad.extra_yaml = "api:\n  tls_cert_file: " + dir + "/hub.crt\n  tls_key_file: " + dir +
                   "/hub.crt\n";
  const auto bad_dir = fx.workDir("api_tls_bad");
  HubProcess broken(fx, bad_dir, bad);
  CHECK(broken.process().waitExit(20000) != 0);
  CHECK_THAT(broken.log(), Catch::Contains("TLS certificate"));
}

TEST_CASE("requests the HTTP layer cannot take get a JSON error that says what is wrong",
          "[integration][security]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("api_http_errors");
  HubOptions ho;
  ho.db_conninfo = fx.freshDatabase("api_http_errors");
  ho.http_port = freeTcpPort();
  HubProcess hub(fx, dir, ho);
  if (!hub.waitReady(20s)) {
    FAIL("hub did not become ready:\n" << hub.log());
  }
  const int port = hub.port();
  const std::string key = hub.adminKey();

  // A POST without Content-Length has an empty body: answered at once by the handler, which
  // says what the body should have been.
  const std::string reply =
      rawExchange(port, "POST /api/v1/keys HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                            key + "\r\nConnection: close\r\n\r\n");
  CHECK_THAT(reply, Catch::StartsWith("HTTP/1.1 400"));
  CHECK_THAT(reply, Catch::Contains("the body must be a JSON object"));

  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(5, 0);
  const httplib::Headers auth = {{"Authorization", "Bearer " + key}};

  // A URL over the HTTP layer's limit.
  auto r = cli.Get(("/api/v1/services/" + std::string(9000, 'a')).c_str(), auth);
  REQUIRE(r);
  CHECK(r->status == 414);
  auto body = json::parse(r->body);
  CHECK(body["error"]["code"] == "uri_too_long");
  CHECK_THAT(body["error"]["message"].get<std::string>(), Catch::Contains("longer than"));

  // A form-encoded body is neither read as query parameters nor as JSON.
  r = cli.Post("/api/v1/keys", auth, "name=ci&role=readonly", "application/x-www-form-urlencoded");
  REQUIRE(r);
  CHECK(r->status == 415);
  body = json::parse(r->body);
  CHECK(body["error"]["code"] == "unsupported_media_type");
  CHECK(body["error"]["message"] ==
        "Content-Type must be application/json, got \"application/x-www-form-urlencoded\"");

  // A request line the HTTP layer cannot parse.
  const std::string garbage = rawExchange(port, "NONSENSE\r\n\r\n");
  CHECK_THAT(garbage, Catch::StartsWith("HTTP/1.1 400"));
  CHECK_THAT(garbage, Catch::Contains("malformed HTTP request"));
}
