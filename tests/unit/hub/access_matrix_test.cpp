// Who may call what: the whole endpoint x method x caller matrix, generated from the route table
// (so routes added later are covered without touching this file), checked against the rules of
// docs/security.md written out independently below. Handlers are replaced by stubs: this tests
// the front door (AccessControl), not the handlers.
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <set>

#include "common/nats/nkeys.hpp"
#include "common/time/manual_time.hpp"
#include "hub/api/access_control.hpp"
#include "hub/api/routes.hpp"
#include "tests/unit/hub/fakes/all_handlers.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace std::chrono_literals;
using api::Access;

namespace {

// The rules (docs/security.md), independent of Route::access: public probes and page; admin for
// keys, overrides, the audit trail, repair policy changes, hub registration and retiring agents;
// signed-or-operator for inbound
// events; else readonly to read and operator to act.
Access expectedAccess(const api::Route& r) {
  if (r.method == "GET" &&
      (r.pattern == "/" || r.pattern == "/healthz" || r.pattern == "/readyz")) {
    return Access::Public;
  }
  if (r.method == "GET" && r.pattern == "/metrics") {
    return Access::Metrics;
  }
  if (r.method == "POST" && r.pattern == "/api/v1/events") {
    return Access::Signed;
  }
  // The stream takes a key or (browsers) a single-use ticket; any key may ask for a ticket.
  if (r.method == "GET" && (r.pattern == "/api/v1/stream" || r.pattern == "/api/v1/ws")) {
    return Access::Ticket;
  }
  if (r.method == "POST" && r.pattern == "/api/v1/stream/tickets") {
    return Access::Readonly;
  }
  // A new node has no key: its one-time token (in the body) is checked by the handler.
  if (r.method == "POST" && r.pattern == "/api/v1/enroll") {
    return Access::Token;
  }
  if (r.pattern.rfind("/api/v1/keys", 0) == 0 ||
      (r.pattern.find("override") != std::string::npos && r.method != "GET") ||
      r.pattern.rfind("/api/v1/audit", 0) == 0 ||
      (r.pattern.rfind("/api/v1/policies", 0) == 0 && r.method != "GET") ||
      r.pattern == "/api/v1/federation/register" ||
      r.pattern.rfind("/api/v1/enrollment-tokens", 0) == 0 ||
      (r.pattern == "/api/v1/agents/{id}/revoke") ||
      (r.pattern == "/api/v1/agents/{id}" && r.method == "DELETE")) {
    return Access::Admin;
  }
  return r.method == "GET" || r.method == "HEAD" ? Access::Readonly : Access::Operator;
}

struct CountingAudit final : api::AuditSink {
  void record(const audit::AuditEntry& e, SystemTime) override { entries.push_back(e); }
  std::vector<audit::AuditEntry> entries;
};

struct Matrix {
  test::AllHandlers full;
  api::Router router;
  int ran = 0;
  test::FakeKeyStore keys;
  test::CountingRandom random;
  auth::Authenticator authn{keys, full.time};
  CountingAudit audit;
  std::map<std::string, std::string> key;  // caller -> Authorization header

  explicit Matrix(bool metrics_public, bool auth_required = true) {
    const auto real = full.router();
    for (auto r : real.routes()) {
      r.handler = [this](const api::ApiRequest& req) {
        ++ran;
        return api::jsonResponse({{"actor", req.actor}, {"role", req.role}});
      };
      router.add(r);
    }
    api::AccessSettings s;
    s.auth_required = auth_required;
    s.metrics_public = metrics_public;
    s.per_key = {0, 1};
    s.failed_auth = {0, 1};
    access =
        std::make_unique<api::AccessControl>(router, &authn, s, full.time, audit, full.registry);
    const auto now = full.time.now();
    auto add = [&](const std::string& who, auth::Role role, std::optional<SystemTime> expires) {
      auto k = auth::generateKey(random).value();
      auto stored =
          keys.insert({who, role, auth::keyPrefix(k), auth::hashKey(k), "test", expires}, now);
      REQUIRE(stored.ok());
      key[who] = "Bearer " + k;
      return stored->id;
    };
    add("readonly", auth::Role::Readonly, std::nullopt);
    add("operator", auth::Role::Operator, std::nullopt);
    add("admin", auth::Role::Admin, std::nullopt);
    add("expired", auth::Role::Admin, now - 1s);
    const auto revoked = add("revoked", auth::Role::Admin, std::nullopt);
    REQUIRE(keys.revoke(revoked, now - 1s).ok());
    key["none"] = "";
    key["basic"] = "Basic YWRtaW46YWRtaW4=";
    key["unknown"] = "Bearer vk_" + std::string(43, 'Q');
    key["garbage"] = "Bearer hunter2";
  }

  api::ApiResponse call(const std::string& method, const std::string& path,
                        const std::string& caller) {
    api::IncomingRequest in;
    in.method = method;
    in.raw_path = path;
    in.authorization = key.at(caller);
    in.remote_addr = "127.0.0.1";
    in.body = "{}";
    return access->handle(in);
  }

  std::unique_ptr<api::AccessControl> access;
};

// "/api/v1/services/{name}/history" -> "/api/v1/services/x1/history"
std::string concrete(const std::string& pattern) {
  std::string out;
  bool in_param = false;
  for (char c : pattern) {
    if (c == '{') {
      in_param = true;
      out += "x1";
    } else if (c == '}') {
      in_param = false;
    } else if (!in_param) {
      out += c;
    }
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

const char* const kCallers[] = {"none",    "basic",    "unknown",  "garbage", "expired",
                                "revoked", "readonly", "operator", "admin"};

int rank(const std::string& caller) {
  if (caller == "readonly") return 1;
  if (caller == "operator") return 2;
  if (caller == "admin") return 3;
  return 0;  // not a valid key
}

}  // namespace

TEST_CASE("every route answers every caller as the role rules say (401, 403 or served)",
          "[hub][unit][api][security]") {
  const bool metrics_public = GENERATE(true, false);
  Matrix m(metrics_public);
  REQUIRE(m.router.routes().size() >= 15);
  int cells = 0;
  for (const auto& route : m.router.routes()) {
    const Access want = expectedAccess(route);
    INFO(route.method << " " << route.pattern);
    // The table says the same as the rules (catches a route added without the right mark).
    CHECK(api::requiredAccess(route) == want);
    for (const std::string caller : kCallers) {
      INFO("caller " << caller << ", metrics_public " << metrics_public);
      const auto audited = m.audit.entries.size();
      const int ran = m.ran;
      const auto r = m.call(route.method, concrete(route.pattern), caller);
      ++cells;
      Access need = want;
      if (need == Access::Metrics) {
        need = metrics_public ? Access::Public : Access::Readonly;
      }
      if (need == Access::Signed) {
        need = caller == "none" ? Access::Public : Access::Operator;
      }
      if (need == Access::Ticket) {
        need = caller == "none" ? Access::Public : Access::Readonly;
      }
      if (need == Access::Token) {
        need = Access::Public;  // any caller reaches the handler (the key is ignored)
      }
      const int need_rank = need == Access::Public     ? 0
                            : need == Access::Readonly ? 1
                            : need == Access::Operator ? 2
                                                       : 3;
      if (need_rank == 0) {
        CHECK(r.status == 200);
        CHECK(m.ran == ran + 1);
      } else if (rank(caller) == 0) {
        CHECK(r.status == 401);
        CHECK(r.body["error"]["code"] == "unauthorized");
        REQUIRE(r.headers.size() == 1);
        CHECK(r.headers[0].first == "WWW-Authenticate");
        CHECK_THAT(r.headers[0].second, Catch::StartsWith("Bearer"));
        CHECK(m.ran == ran);
      } else if (rank(caller) < need_rank) {
        CHECK(r.status == 403);
        CHECK(r.body["error"]["code"] == "forbidden");
        CHECK(m.ran == ran);
      } else {
        CHECK(r.status == 200);
        CHECK(m.ran == ran + 1);
        CHECK(r.body["role"] == caller);
        CHECK_THAT(r.body["actor"].get<std::string>(), Catch::StartsWith("key:"));
      }
      // Every mutating call leaves exactly one audit row, refused or not.
      CHECK(m.audit.entries.size() == audited + (api::isMutating(route.method) ? 1 : 0));
    }
  }
  CHECK(cells == static_cast<int>(m.router.routes().size()) * 9);
}

TEST_CASE("the access matrix covers every operation docs/openapi.yaml documents",
          "[hub][unit][api][security]") {
  // If this fails, a route group's handler is not built in tests/unit/hub/fakes/all_handlers.hpp:
  // add it there, and the matrix test checks its routes too.
  const YAML::Node doc = YAML::LoadFile(VITALS_OPENAPI_FILE);
  Matrix m(true);
  std::set<std::string> tested;
  for (const auto& r : m.router.routes()) {
    tested.insert(lower(r.method) + " " + r.pattern);
  }
  for (const auto& path : doc["paths"]) {
    for (const auto& method : path.second) {
      const auto op = method.first.as<std::string>() + " " + path.first.as<std::string>();
      INFO(op);
      CHECK(tested.count(op) == 1);
    }
  }
}

TEST_CASE("unknown paths need a key before they are 404 or 405", "[hub][unit][api][security]") {
  Matrix m(true);
  CHECK(m.call("GET", "/api/v1/nothing", "none").status == 401);
  CHECK(m.call("GET", "/api/v1/nothing", "readonly").status == 404);
  CHECK(m.call("PATCH", "/api/v1/services", "none").status == 401);
  CHECK(m.call("PATCH", "/api/v1/services", "readonly").status == 405);
  CHECK(m.audit.entries.empty());  // nothing was acted on
}

TEST_CASE("an audit row names the key, the route, the target and the outcome",
          "[hub][unit][api][security]") {
  Matrix m(true);
  auto r = m.call("DELETE", "/api/v1/keys/x%201", "admin");
  CHECK(r.status == 200);
  r = m.call("DELETE", "/api/v1/keys/7", "operator");
  CHECK(r.status == 403);
  r = m.call("POST", "/api/v1/keys", "none");
  CHECK(r.status == 401);
  REQUIRE(m.audit.entries.size() == 3);
  const auto& ok = m.audit.entries[0];
  CHECK(ok.actor == "key:3");
  CHECK(ok.action == "DELETE /api/v1/keys/{id}");
  CHECK(ok.target == "/api/v1/keys/x 1");
  CHECK(nlohmann::json::parse(ok.parameters_json) == nlohmann::json{{"id", "x 1"}});
  CHECK(ok.outcome == "ok");
  CHECK(m.audit.entries[1].actor == "key:2");
  CHECK(m.audit.entries[1].outcome == "denied");
  CHECK(m.audit.entries[2].actor == "anonymous");
  CHECK(m.audit.entries[2].outcome == "denied");
  CHECK(m.audit.entries[2].parameters_json == "{}");
}

TEST_CASE("over its rate a key gets 429 with Retry-After, and failed keys are limited per address",
          "[hub][unit][api][security]") {
  Matrix m(true);
  api::AccessSettings s;
  s.per_key = {1, 2};
  s.failed_auth = {1, 3};
  api::AccessControl access(m.router, &m.authn, s, m.full.time, m.audit, m.full.registry);
  api::IncomingRequest in;
  in.method = "GET";
  in.raw_path = "/api/v1/services";
  in.remote_addr = "10.0.0.1";
  in.authorization = m.key["readonly"];
  CHECK(access.handle(in).status == 200);
  CHECK(access.handle(in).status == 200);
  auto r = access.handle(in);
  CHECK(r.status == 429);
  CHECK(r.body["error"]["code"] == "rate_limited");
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0] == std::make_pair(std::string("Retry-After"), std::string("1")));
  in.authorization = m.key["operator"];  // another key has its own bucket
  CHECK(access.handle(in).status == 200);
  m.full.time.advance(1s);
  in.authorization = m.key["readonly"];
  CHECK(access.handle(in).status == 200);

  in.authorization = m.key["unknown"];
  for (int i = 0; i < 3; ++i) {
    CHECK(access.handle(in).status == 401);
  }
  CHECK(access.handle(in).status == 429);
  in.authorization = m.key["admin"];  // the address is blocked whatever it sends now
  CHECK(access.handle(in).status == 429);
  in.remote_addr = "10.0.0.2";
  CHECK(access.handle(in).status == 200);
}

TEST_CASE("with auth disabled every call is served as an anonymous admin",
          "[hub][unit][api][security]") {
  Matrix m(false, false);
  auto r = m.call("DELETE", "/api/v1/keys/1", "none");
  CHECK(r.status == 200);
  CHECK(r.body["actor"] == "anonymous");
  CHECK(r.body["role"] == "admin");
  REQUIRE(m.audit.entries.size() == 1);
  CHECK(m.audit.entries[0].actor == "anonymous");
}

TEST_CASE("a key store outage is 503, not 401", "[hub][unit][api][security]") {
  Matrix m(true);
  m.keys.available = false;
  auto r = m.call("GET", "/api/v1/services", "readonly");
  CHECK(r.status == 503);
}

TEST_CASE(
    "enrollment takes no key: bad tokens count as failed authentications of the address "
    "and are limited like bad keys",
    "[hub][unit][api][security]") {
  test::AllHandlers full;
  const api::Router router = full.router();
  test::FakeKeyStore keys;
  auth::Authenticator authn{keys, full.time};
  CountingAudit audit;
  api::AccessSettings s;
  s.failed_auth = {1, 3};
  api::AccessControl access(router, &authn, s, full.time, audit, full.registry);
  api::IncomingRequest in;
  in.method = "POST";
  in.raw_path = "/api/v1/enroll";
  in.remote_addr = "10.0.0.9";
  in.authorization = "Bearer vk_" + std::string(43, 'Q');  // ignored: the body's token decides
  in.body = R"({"token":"ve_)" + std::string(43, 'F') + R"(","agent_id":"a1","nkey":"U)" +
            std::string(55, 'A') + R"("})";
  // The key is not checked, so the request reaches the handler (400: that nkey's checksum).
  CHECK(access.handle(in).status == 400);
  auto key = nkeys::newUserKeyPair();
  REQUIRE(key.ok());
  in.body = R"({"token":"ve_)" + std::string(43, 'F') + R"(","agent_id":"a1","nkey":")" +
            key->public_key + R"("})";
  for (int i = 0; i < 3; ++i) {
    auto r = access.handle(in);
    CHECK(r.status == 401);
    CHECK(r.body["error"]["message"].get<std::string>().find("not known") != std::string::npos);
  }
  auto limited = access.handle(in);
  CHECK(limited.status == 429);
  CHECK(full.enroll_store.enroll_calls == 3);  // the limited call never reached the store
  // Every call that was answered is audited as anonymous (the refused flood is not).
  REQUIRE(audit.entries.size() == 4);
  CHECK(audit.entries.back().actor == "anonymous");
  CHECK(audit.entries.back().action == "POST /api/v1/enroll");
  CHECK(audit.entries.back().outcome == "denied");
}
