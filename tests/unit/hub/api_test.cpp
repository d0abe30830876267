#include <catch2/catch.hpp>
#include <set>

#include "common/time/manual_time.hpp"
#include "hub/api/cursor.hpp"
#include "hub/api/routes.hpp"
#include "tests/unit/hub/fakes/fake_read_store.hpp"
#include "tests/unit/hub/fakes/fake_status_store.hpp"
#include "tests/unit/hub/test_data.hpp"

using namespace vitals;
using namespace vitals::hub;
using nlohmann::json;
using vitals::test::at;

namespace {

// The real route table over fakes: what the HTTP server would answer, without a socket.
struct Api {
  // ManualTime starts its steady clock at 1000s: now() is exactly at(1'800'000'000).
  ManualTime time{at(1'800'000'000 - 1000)};
  state::HubState state;
  test::FakeReadStore store;
  metrics::Registry registry;
  bool nats_up = true;
  api::ServicesHandler services{state, store, time};
  api::AgentsHandler agents{store, time};
  api::OpsHandler ops{{{"nats",
                        [this] {
                          return nats_up ? okStatus() : Status(Error{"x", "not connected", {}});
                        }},
                       {"database", [this] { return store.ping(); }}},
                      registry};
  test::FakeStatusStore uptime_store;
  api::UptimeHandler uptime{state, uptime_store, time, 0.5};
  api::Router router = api::buildRouter({services, agents, ops, uptime});

  api::ApiResponse get(const std::string& path,
                       std::vector<std::pair<std::string, std::string>> query = {}) {
    auto r = router.dispatch("GET", path, query);
    // Some handlers write their JSON as text (no document tree): read it back for the checks.
    if (r.text && r.content_type == "application/json" && !r.text->empty()) {
      r.body = json::parse(*r.text);
    }
    return r;
  }
};

std::string errorMessage(const api::ApiResponse& r) {
  return r.body.at("error").at("message").get<std::string>();
}

}  // namespace

TEST_CASE("the status page is served at / as HTML that reads the services API",
          "[hub][unit][api]") {
  Api api;
  auto r = api.get("/");
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/html; charset=utf-8");
  REQUIRE(r.text);
  CHECK_THAT(*r.text, Catch::Contains("<title>vitals</title>"));
  CHECK_THAT(*r.text, Catch::Contains("/api/v1/services"));
}

TEST_CASE("unknown paths are 404 and known paths with another method 405 with Allow",
          "[hub][unit][api]") {
  Api api;
  auto r = api.get("/api/v1/nothing");
  CHECK(r.status == 404);
  CHECK(r.body["error"]["code"] == "not_found");
  CHECK(api.get("/index.html").status == 404);
  CHECK(api.get("/api/v1/services/").status == 404);

  r = api.router.dispatch("POST", "/api/v1/services", {});
  CHECK(r.status == 405);
  CHECK(r.body["error"]["code"] == "method_not_allowed");
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0] == std::make_pair(std::string("Allow"), std::string("GET")));
}

TEST_CASE("unknown, repeated or badly encoded parameters are 400s naming the problem",
          "[hub][unit][api]") {
  Api api;
  auto r = api.get("/api/v1/services", {{"verbose", "1"}});
  CHECK(r.status == 400);
  CHECK_THAT(errorMessage(r), Catch::Contains("\"verbose\""));
  r = api.get("/api/v1/services/web/history", {{"limit", "1"}, {"limit", "2"}});
  CHECK(r.status == 400);
  CHECK_THAT(errorMessage(r), Catch::Contains("\"limit\" given twice"));
  r = api.get("/api/v1/services/web/history", {{"befor", "x"}});
  CHECK(r.status == 400);
  CHECK_THAT(errorMessage(r), Catch::Contains("\"befor\"") && Catch::Contains("cursor"));
  CHECK(api.get("/api/v1/services/%zz").status == 400);
}

TEST_CASE("GET /api/v1/services lists services with their checks", "[hub][unit][api]") {
  Api api;
  api.state.applyRegistration(
      test::registration("a1", {test::spec("http", "web"), test::spec("tcp", "db", "tcp")}));
  api.state.applyResult(
      test::result("a1", "boot", 1, "web", "http", HealthStatus::Degraded, at(1'799'999'990)));
  auto r = api.get("/api/v1/services");
  REQUIRE(r.status == 200);
  const auto& list = r.body.at("services");
  REQUIRE(list.size() == 2);
  const auto& db = list[0];
  CHECK(db["name"] == "db");
  CHECK(db["status"] == "unknown");
  CHECK(db["latency_ms"].is_null());
  CHECK(db["last_checked"].is_null());
  const auto& web = list[1];
  CHECK(web["name"] == "web");
  CHECK(web["status"] == "degraded");
  CHECK(web["latency_ms"] == 1.5);
  CHECK(web["last_checked"] == "2027-01-15T07:59:51.000Z");
  CHECK(web["age_seconds"] == 9);
  CHECK(web["agent"] == "a1");
  REQUIRE(web["checks"].size() == 1);
  const auto& check = web["checks"][0];
  for (const char* key : {"name", "kind", "agent", "status", "latency_ms", "message",
                          "last_checked", "age_seconds"}) {
    CHECK(check.contains(key));
  }
  CHECK(check["kind"] == "http");
}

TEST_CASE("GET /api/v1/services/{name} adds the recent results, newest first", "[hub][unit][api]") {
  Api api;
  api.state.applyResult(test::result("a1", "b", 60, "web", "http"));
  for (std::uint64_t seq = 1; seq <= 60; ++seq) {
    api.store.results.push_back({test::result("a1", "b", seq, "web", "http"), at(1'800'000'100)});
  }
  api.store.results.push_back({test::result("a1", "b", 1, "other", "x"), at(1'800'000'100)});
  auto r = api.get("/api/v1/services/web");
  REQUIRE(r.status == 200);
  CHECK(r.body["name"] == "web");
  REQUIRE(r.body["recent"].size() == 50);
  CHECK(r.body["recent"][0]["seq"] == 60);
  CHECK(r.body["recent"][49]["seq"] == 11);
  CHECK(r.body["recent"][0]["received_at"] == "2027-01-15T08:01:40.000Z");

  CHECK(api.get("/api/v1/services/nope").status == 404);
  // Names are percent-decoded path segments: an encoded '/' stays part of the name.
  api.state.applyResult(test::result("a1", "b", 61, "a/b", "c"));
  CHECK(api.get("/api/v1/services/a%2Fb").status == 200);
}

TEST_CASE("a database outage is a 503 with the standard error body", "[hub][unit][api]") {
  Api api;
  api.state.applyResult(test::result("a1", "b", 1));
  api.store.unavailable = true;
  auto r = api.get("/api/v1/services/web");
  CHECK(r.status == 503);
  CHECK(r.body["error"]["code"] == "unavailable");
  CHECK(api.get("/api/v1/agents").status == 503);
  // The in-memory list still answers.
  CHECK(api.get("/api/v1/services").status == 200);
}

TEST_CASE("history pages follow the cursor to the end without gaps or repeats",
          "[hub][unit][api]") {
  Api api;
  api.state.applyResult(test::result("a1", "b", 1));
  for (std::uint64_t seq = 1; seq <= 25; ++seq) {
    api.store.results.push_back({test::result("a1", "b", seq), at(0)});
    // A second agent with the same timestamps: the key breaks the ties.
    api.store.results.push_back({test::result("a2", "b", seq), at(0)});
  }
  std::vector<std::string> seen;
  std::vector<std::pair<std::string, std::string>> query{{"limit", "7"}};
  int pages = 0;
  while (true) {
    auto r = api.get("/api/v1/services/web/history", query);
    REQUIRE(r.status == 200);
    ++pages;
    for (const auto& row : r.body["results"]) {
      seen.push_back(row["agent"].get<std::string>() + "/" + std::to_string(row["seq"].get<int>()));
    }
    if (r.body["next"].is_null()) {
      break;
    }
    query = {{"limit", "7"}, {"cursor", r.body["next"].get<std::string>()}};
  }
  CHECK(pages == 8);
  REQUIRE(seen.size() == 50);
  CHECK(seen.front() == "a2/25");
  CHECK(seen[1] == "a1/25");
  CHECK(seen.back() == "a1/1");
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 50);
}

TEST_CASE("history validates since, until, limit and cursor", "[hub][unit][api]") {
  Api api;
  api.state.applyResult(test::result("a1", "b", 1));
  struct Case {
    const char* param;
    const char* value;
    const char* message;
  };
  const auto c = GENERATE(values<Case>({
      {"since", "yesterday", "query parameter \"since\""},
      {"until", "2026-13-01T00:00:00Z", "query parameter \"until\""},
      {"limit", "0", "query parameter \"limit\": expected an integer from 1 to 1000"},
      {"limit", "1001", "query parameter \"limit\""},
      {"limit", "10x", "query parameter \"limit\""},
      {"cursor", "!!!", "query parameter \"cursor\""},
      {"cursor", "e30", "query parameter \"cursor\""},  // base64url of "{}"
  }));
  auto r = api.get("/api/v1/services/web/history", {{c.param, c.value}});
  CHECK(r.status == 400);
  CHECK_THAT(errorMessage(r), Catch::Contains(c.message));
}

TEST_CASE("history passes the time window to the store and rejects an empty one",
          "[hub][unit][api]") {
  Api api;
  api.state.applyResult(test::result("a1", "b", 1));
  auto r = api.get(
      "/api/v1/services/web/history",
      {{"since", "2026-01-01T00:00:00Z"}, {"until", "2026-01-02T00:00:00+01:00"}, {"limit", "5"}});
  REQUIRE(r.status == 200);
  CHECK(api.store.last_query.limit == 5);
  REQUIRE(api.store.last_query.since);
  CHECK(formatRfc3339(*api.store.last_query.since) == "2026-01-01T00:00:00.000Z");
  CHECK(formatRfc3339(*api.store.last_query.until) == "2026-01-01T23:00:00.000Z");
  r = api.get("/api/v1/services/web/history",
              {{"since", "2026-01-02T00:00:00Z"}, {"until", "2026-01-01T00:00:00Z"}});
  CHECK(r.status == 400);
  CHECK(api.get("/api/v1/services/never-heard-of/history").status == 404);
}

TEST_CASE("history across services filters by service glob, status, agent and kind",
          "[hub][unit][api]") {
  Api api;
  std::uint64_t seq = 0;
  for (const char* service : {"db-main", "db-replica", "web", "cache"}) {
    for (auto status : {HealthStatus::Healthy, HealthStatus::Down, HealthStatus::Degraded}) {
      api.store.results.push_back({test::result(std::string(service) == "cache" ? "a2" : "a1", "b",
                                                ++seq, service, "c", status),
                                   at(0)});
    }
  }
  auto names = [](const api::ApiResponse& r) {
    std::vector<std::string> out;
    for (const auto& row : r.body["results"]) {
      out.push_back(row["service"].get<std::string>() + ":" + row["status"].get<std::string>());
    }
    return out;
  };
  auto r = api.get("/api/v1/history");
  REQUIRE(r.status == 200);
  CHECK(r.body["results"].size() == 12);
  CHECK(r.body["next"].is_null());
  CHECK(names(r).front() == "cache:degraded");  // newest first across services

  r = api.get("/api/v1/history", {{"service", "db-*,web"}, {"status", "down,degraded"}});
  REQUIRE(r.status == 200);
  CHECK(names(r) == std::vector<std::string>{"web:degraded", "web:down", "db-replica:degraded",
                                             "db-replica:down", "db-main:degraded",
                                             "db-main:down"});
  r = api.get("/api/v1/history", {{"agent", "a2"}});
  CHECK(names(r) == std::vector<std::string>{"cache:degraded", "cache:down", "cache:healthy"});
  CHECK(api.get("/api/v1/history", {{"kind", "tcp"}}).body["results"].empty());

  // Pages of a filtered listing follow the cursor with the same filters.
  r = api.get("/api/v1/history", {{"status", "down"}, {"limit", "3"}});
  REQUIRE(r.body["results"].size() == 3);
  REQUIRE(r.body["next"].is_string());
  r = api.get("/api/v1/history",
              {{"status", "down"}, {"limit", "3"}, {"cursor", r.body["next"].get<std::string>()}});
  CHECK(names(r) == std::vector<std::string>{"db-main:down"});
  CHECK(r.body["next"].is_null());
}

TEST_CASE("history across services refuses bad filters and says which", "[hub][unit][api]") {
  Api api;
  struct Case {
    const char* param;
    const char* value;
    const char* message;
  };
  const auto c = GENERATE(values<Case>({
      {"status", "down,broken", "query parameter \"status\""},
      {"service", "db,,web", "query parameter \"service\""},
      {"agent", "a b", "query parameter \"agent\""},
      {"kind", "", "query parameter \"kind\""},
      {"limit", "5000", "query parameter \"limit\""},
      {"since", "monday", "query parameter \"since\""},
      {"cursor", "e30", "query parameter \"cursor\""},
      {"services", "db", "unknown query parameter"},
  }));
  auto r = api.get("/api/v1/history", {{c.param, c.value}});
  CHECK(r.status == 400);
  CHECK_THAT(errorMessage(r), Catch::Contains(c.message));
  CHECK(api.store.history_calls == 0);
}

TEST_CASE("GET /api/v1/agents lists agents with their age", "[hub][unit][api]") {
  Api api;
  store::AgentRecord a;
  a.agent_id = "a1";
  a.hostname = "h1";
  a.version = "1.2";
  a.boot_id = "b";
  a.first_seen = at(1'799'000'000);
  a.last_seen = at(1'799'999'970);
  a.check_count = 3;
  api.store.agent_records.push_back(a);
  auto r = api.get("/api/v1/agents");
  REQUIRE(r.status == 200);
  REQUIRE(r.body["agents"].size() == 1);
  const auto& j = r.body["agents"][0];
  CHECK(j["id"] == "a1");
  CHECK(j["hostname"] == "h1");
  CHECK(j["version"] == "1.2");
  CHECK(j["age_seconds"] == 30);
  CHECK(j["check_count"] == 3);
  CHECK(j["boot_id"] == "b");
  CHECK(j["last_seen"] == "2027-01-15T07:59:30.000Z");
  CHECK(j["deregistered_at"].is_null());
}

TEST_CASE("GET /api/v1/agents/{id} shows the agent's actions with parameters and its checks",
          "[hub][unit][api]") {
  Api api;
  api.agents.setState(&api.state);
  store::AgentRecord a;
  a.agent_id = "a1";
  a.hostname = "h1";
  a.first_seen = at(1'799'000'000);
  a.last_seen = at(1'799'999'970);
  a.actions = {ActionSpec{"restart-web",
                          {{"mode", "soft|hard"}},
                          std::chrono::seconds{30},
                          std::chrono::minutes{2},
                          1}};
  a.actions_described = true;
  api.store.agent_records.push_back(a);
  store::AgentRecord old = a;
  old.agent_id = "a0";
  old.actions = {ActionSpec{"restart-db", {}, {}, {}, 0}};
  old.actions_described = false;
  api.store.agent_records.push_back(old);
  api.state.applyResult(test::result("a1", "b", 1, "web", "http", HealthStatus::Down));
  api.state.applyResult(test::result("a2", "b", 1, "web", "tcp"));

  auto r = api.get("/api/v1/agents/a1");
  REQUIRE(r.status == 200);
  CHECK(r.body["id"] == "a1");
  REQUIRE(r.body["actions"].size() == 1);
  const auto& action = r.body["actions"][0];
  CHECK(action["name"] == "restart-web");
  CHECK(action["params"] == json::array({{{"name", "mode"}, {"pattern", "soft|hard"}}}));
  CHECK(action["timeout_ms"] == 30000);
  CHECK(action["cooldown_ms"] == 120000);
  CHECK(action["max_concurrent"] == 1);
  REQUIRE(r.body["checks"].size() == 1);  // a2's check of the same service is not a1's
  CHECK(r.body["checks"][0]["check"] == "http");
  CHECK(r.body["checks"][0]["status"] == "down");

  // The list carries the same inventory; names only where the agent sent names only.
  r = api.get("/api/v1/agents");
  REQUIRE(r.body["agents"].size() == 2);
  CHECK(r.body["agents"][1]["actions"][0]["name"] == "restart-db");
  CHECK(r.body["agents"][1]["actions"][0]["params"].is_null());
  CHECK(r.body["agents"][0]["actions"][0]["params"].size() == 1);

  CHECK(api.get("/api/v1/agents/nobody").status == 404);
  CHECK(api.get("/api/v1/agents/a%20b").status == 400);
  api.store.unavailable = true;
  CHECK(api.get("/api/v1/agents/a1").status == 503);
}

TEST_CASE("healthz is minimal, readyz names what is not ready, metrics is Prometheus text",
          "[hub][unit][api]") {
  Api api;
  auto r = api.get("/healthz");
  CHECK(r.status == 200);
  CHECK(r.body == json{{"status", "ok"}});

  r = api.get("/readyz");
  CHECK(r.status == 200);
  CHECK(r.body["ready"] == true);
  CHECK(r.body["checks"]["nats"] == "ok");

  api.nats_up = false;
  api.store.unavailable = true;
  r = api.get("/readyz");
  CHECK(r.status == 503);
  CHECK(r.body["ready"] == false);
  CHECK(r.body["checks"]["nats"] == "not connected");
  CHECK_THAT(r.body["error"]["message"].get<std::string>(),
             Catch::Contains("nats: not connected") && Catch::Contains("database:"));

  api.registry.counter("vitals_ingest_results_total", "h").inc(3);
  r = api.get("/metrics");
  REQUIRE(r.text);
  CHECK_THAT(*r.text, Catch::Contains("vitals_ingest_results_total 3"));
  CHECK_THAT(r.content_type, Catch::StartsWith("text/plain"));
}

TEST_CASE("a handler that throws becomes a 500 with the error body", "[hub][unit][api]") {
  api::Router router;
  router.add({"GET", "/boom", {}, [](const api::ApiRequest&) -> api::ApiResponse {
                throw std::runtime_error("kaput");
              }});
  auto r = router.dispatch("GET", "/boom", {});
  CHECK(r.status == 500);
  CHECK(r.body["error"]["code"] == "internal");
}

TEST_CASE("cursors round-trip and refuse tampering", "[hub][unit][api]") {
  store::HistoryCursor c{at(1'800'000'000) + std::chrono::microseconds{123456}, "agent-1",
                         "boot/with:odd chars", 987654321};
  const auto text = api::encodeCursor(c);
  CHECK(
      text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
      std::string::npos);
  auto back = api::decodeCursor(text);
  REQUIRE(back);
  CHECK(*back == c);
  CHECK_FALSE(api::decodeCursor(""));
  CHECK_FALSE(api::decodeCursor(text.substr(0, text.size() - 3)));
  CHECK_FALSE(api::decodeCursor(api::base64UrlEncode("[2,1,\"a\",\"b\",1]")));
  CHECK_FALSE(api::decodeCursor(api::base64UrlEncode("[1,-5,\"a\",\"b\",1]")));
  for (const std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar\xff"}) {
    CHECK(api::base64UrlDecode(api::base64UrlEncode(s)) == s);
  }
}
