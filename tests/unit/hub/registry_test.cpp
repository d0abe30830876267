// The service registry and the checks managed through the API, over fakes: the check sync's
// whole-set semantics and bookkeeping, the handlers' validation (422 naming the field) and the
// registry's derived fields.
#include <catch2/catch.hpp>

#include <spdlog/logger.h>
#include <functional>
#include <nlohmann/json.hpp>

#include "common/time/manual_time.hpp"
#include "hub/api/registry_handler.hpp"
#include "hub/api/services_handler.hpp"
#include "hub/registry/check_sync.hpp"
#include "tests/unit/hub/fakes/fake_read_store.hpp"
#include "tests/unit/hub/fakes/fake_registry_store.hpp"

using namespace vitals;
using namespace vitals::hub;
using nlohmann::json;

namespace {

// Answers set-checks like an agent would, through `answer`; records what it was sent.
struct FakeAgentCommands final : repair::AgentCommands {
  std::function<Result<repair::AgentReply>(const repair::AgentCommand&)> answer =
      [](const repair::AgentCommand& c) -> Result<repair::AgentReply> {
    repair::AgentReply r;
    r.outcome = "ok";
    for (const auto& check : c.checks) {
      r.check_results.push_back({check.name, true, ""});
    }
    return r;
  };
  std::vector<repair::AgentCommand> sent;
  Result<repair::AgentReply> send(const repair::AgentCommand& c) override {
    sent.push_back(c);
    return answer(c);
  }
};

struct Rig {
  ManualTime time;
  test::FakeRegistryStore store;
  FakeAgentCommands agents;
  std::shared_ptr<spdlog::logger> logger = std::make_shared<spdlog::logger>("null");
  registry::CheckSync sync{store, agents, time, {"hub-1"}, logger};
  registry::ServiceRegistry service_registry;
  state::HubState state;
  test::FakeReadStore reads;
  api::RegistryHandler handler{store, service_registry, sync, state, reads, time};

  Rig() {
    store::AgentRecord a;
    a.agent_id = "a1";
    reads.agent_records.push_back(a);
  }

  registry::ApiCheckRow row(const std::string& name) {
    registry::ApiCheckRow r;
    r.agent_id = "a1";
    r.name = name;
    r.service = name;
    r.kind = "tcp";
    r.definition = json{{"name", name}, {"kind", "tcp"}, {"host", "10.0.0.1"}, {"port", 80}}.dump();
    r.created_by = r.updated_by = "key:1";
    return r;
  }
  api::ApiRequest request(const std::string& method, std::map<std::string, std::string> params,
                          const json& body) {
    api::ApiRequest req;
    req.method = method;
    req.path_params = std::move(params);
    req.body = body.dump();
    req.actor = "key:1";
    req.role = "operator";
    return req;
  }
};

}  // namespace

TEST_CASE("a sync sends the agent its whole set and records each check's answer",
          "[hub][unit][registry]") {
  Rig rig;
  REQUIRE(rig.store.putCheck(rig.row("a"), true, rig.time.now()).ok());
  REQUIRE(rig.store.putCheck(rig.row("b"), true, rig.time.now()).ok());
  rig.agents.answer = [](const repair::AgentCommand&) -> Result<repair::AgentReply> {
    repair::AgentReply r;
    r.outcome = "failed";
    r.check_results = {{"a", true, ""}, {"b", false, "port: must be 1-65535"}};
    return r;
  };
  REQUIRE(rig.sync.syncNow("a1").ok());
  REQUIRE(rig.agents.sent.size() == 1);
  CHECK(rig.agents.sent[0].verb == "set-checks");
  CHECK(rig.agents.sent[0].agent == "a1");
  CHECK_FALSE(rig.agents.sent[0].dry_run);
  CHECK(rig.agents.sent[0].checks.size() == 2);
  const auto rows = rig.store.checks("a1").value();
  CHECK(rows[0].state == "applied");
  CHECK(rows[0].applied_at.has_value());
  CHECK(rows[1].state == "error");
  CHECK(rows[1].error == "port: must be 1-65535");
}

TEST_CASE("a deleted check's row goes only once the agent confirmed the smaller set",
          "[hub][unit][registry]") {
  Rig rig;
  REQUIRE(rig.store.putCheck(rig.row("a"), true, rig.time.now()).ok());
  REQUIRE(rig.store.putCheck(rig.row("b"), true, rig.time.now()).ok());
  REQUIRE(rig.store.deleteCheck("a1", "b", "key:1", rig.time.now()).value());

  rig.agents.answer = [](const repair::AgentCommand&) -> Result<repair::AgentReply> {
    return Error{"agent.unavailable", "no reply", {}};
  };
  CHECK_FALSE(rig.sync.syncNow("a1").ok());
  CHECK(rig.store.checks("a1")->size() == 2);  // b stays "deleting" until confirmed
  CHECK(rig.store.checks("a1")->at(0).state == "pending");
  CHECK(rig.agents.sent.back().checks.size() == 1);  // b is not in the set

  rig.agents.answer = FakeAgentCommands().answer;
  REQUIRE(rig.sync.syncNow("a1").ok());
  const auto rows = rig.store.checks("a1").value();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].name == "a");
  CHECK(rows[0].state == "applied");
}

TEST_CASE("an answer for an older version of a check does not settle the newer one",
          "[hub][unit][registry]") {
  Rig rig;
  REQUIRE(rig.store.putCheck(rig.row("a"), true, rig.time.now()).ok());
  rig.agents.answer = [&](const repair::AgentCommand& c) -> Result<repair::AgentReply> {
    // The check changes while the agent is answering for the first version.
    REQUIRE(rig.store.putCheck(rig.row("a"), false, rig.time.now()).ok());
    repair::AgentReply r;
    r.outcome = "ok";
    r.check_results = {{c.checks[0].name, true, ""}};
    return r;
  };
  REQUIRE(rig.sync.syncNow("a1").ok());
  CHECK(rig.store.checks("a1")->at(0).state == "pending");
}

TEST_CASE("an agent without API checks is not asked anything", "[hub][unit][registry]") {
  Rig rig;
  REQUIRE(rig.sync.syncNow("a1").ok());
  CHECK(rig.agents.sent.empty());
}

TEST_CASE("a check the agent refuses in its dry run is a 422 naming the field and not stored",
          "[hub][unit][registry]") {
  Rig rig;
  rig.agents.answer = [](const repair::AgentCommand& c) -> Result<repair::AgentReply> {
    repair::AgentReply r;
    r.outcome = "failed";
    r.check_results = {{c.checks[0].name, false, "interval: not a duration: \"banana\""}};
    return r;
  };
  const json body = {
      {"name", "web"}, {"kind", "http"}, {"url", "http://10.0.0.5/"}, {"interval", "banana"}};
  auto r = rig.handler.createCheck(rig.request("POST", {{"id", "a1"}}, body));
  CHECK(r.status == 422);
  CHECK(r.body["error"]["field"] == "interval");
  CHECK(r.body["error"]["message"] == "interval: not a duration: \"banana\"");
  CHECK(rig.agents.sent.at(0).dry_run);
  CHECK(rig.store.rows.empty());
}

TEST_CASE("the hub refuses what it can judge itself before asking the agent",
          "[hub][unit][registry]") {
  Rig rig;
  struct Case {
    json body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {{{"kind", "http"}, {"url", "http://x/"}}, "name"},
      {{{"name", "a b"}, {"kind", "http"}, {"url", "http://x/"}}, "name"},
      {{{"name", "w"}, {"kind", "exec"}}, "kind"},
      {{{"name", "w"}, {"kind", "http"}}, "url"},
      {{{"name", "w"}, {"kind", "http"}, {"url", "ftp://x/"}}, "url"},
      {{{"name", "w"}, {"kind", "tcp"}, {"host", "x"}, {"port", 0}}, "port"},
      {{{"name", "w"}, {"kind", "tcp"}, {"port", 80}}, "host"},
      {{{"name", "w"}, {"kind", "tcp"}, {"host", "x"}, {"port", 80}, {"restrict_targets", false}},
       "restrict_targets"},
      {{{"name", "w"}, {"service", "x.y"}, {"kind", "tcp"}, {"host", "x"}, {"port", 80}},
       "service"},
  };
  for (const auto& c : cases) {
    INFO(c.body.dump());
    auto r = rig.handler.createCheck(rig.request("POST", {{"id", "a1"}}, c.body));
    CHECK(r.status == 422);
    CHECK(r.body["error"]["field"] == c.field);
  }
  CHECK(rig.agents.sent.empty());
  // Unknown agent, and a body that is not JSON.
  auto r = rig.handler.createCheck(
      rig.request("POST", {{"id", "nobody"}}, json{{"name", "w"}, {"kind", "tcp"}}));
  CHECK(r.status == 404);
  auto req = rig.request("POST", {{"id", "a1"}}, json::object());
  req.body = "{";
  CHECK(rig.handler.createCheck(req).status == 400);
}

TEST_CASE("an agent that does not answer gets the check later: stored pending and queued",
          "[hub][unit][registry]") {
  Rig rig;
  rig.agents.answer = [](const repair::AgentCommand&) -> Result<repair::AgentReply> {
    return Error{"agent.unavailable", "no reply", {}};
  };
  const json body = {{"name", "web"}, {"kind", "tcp"}, {"host", "10.0.0.5"}, {"port", 80}};
  auto r = rig.handler.createCheck(rig.request("POST", {{"id", "a1"}}, body));
  REQUIRE(r.status == 201);
  CHECK(r.body["state"] == "pending");
  CHECK(r.body["validated_by_agent"] == false);
  CHECK(rig.store.audit == std::vector<std::string>{"check.create web"});
  // A second POST of the same name conflicts; PUT replaces.
  CHECK(rig.handler.createCheck(rig.request("POST", {{"id", "a1"}}, body)).status == 409);
  auto put = rig.handler.putCheck(rig.request("PUT", {{"id", "a1"}, {"name", "web"}}, body));
  CHECK(put.status == 200);
  CHECK(put.body["kind"] == "tcp");
  auto other = rig.handler.putCheck(rig.request("PUT", {{"id", "a1"}, {"name", "api"}}, body));
  CHECK(other.status == 422);
  CHECK(other.body["error"]["field"] == "name");
  // Delete, twice.
  CHECK(
      rig.handler.deleteCheck(rig.request("DELETE", {{"id", "a1"}, {"name", "web"}}, {})).status ==
      200);
  CHECK(
      rig.handler.deleteCheck(rig.request("DELETE", {{"id", "a1"}, {"name", "web"}}, {})).status ==
      404);
}

TEST_CASE("PUT of a service stores the operator fields and names a bad one",
          "[hub][unit][registry]") {
  Rig rig;
  const json body = {{"owner", "team-a"},
                     {"tags", {"prod", "edge", "prod"}},
                     {"depends_on", {"db"}},
                     {"version", "2.0"},
                     {"description", "front"}};
  auto r = rig.handler.putService(rig.request("PUT", {{"name", "web"}}, body));
  REQUIRE(r.status == 200);
  CHECK(r.body["tags"] == json({"edge", "prod"}));  // sorted, unique
  CHECK(r.body["owner"] == "team-a");
  const auto snap = rig.service_registry.snapshot();
  REQUIRE(snap->find("web") != nullptr);
  CHECK(snap->find("web")->version == "2.0");
  CHECK(snap->find("web")->updated_by == "key:1");
  CHECK(rig.store.audit == std::vector<std::string>{"service.update service:web"});

  const std::vector<std::pair<json, std::string>> bad = {
      {{{"owner", 5}}, "owner"},
      {{{"tags", "prod"}}, "tags"},
      {{{"tags", {"has space"}}}, "tags"},
      {{{"depends_on", {"web"}}}, "depends_on"},
      {{{"depends_on", {"a.b"}}}, "depends_on"},
      {{{"version", std::string(101, 'v')}}, "version"},
      {{{"type", "http"}}, "type"},
  };
  for (const auto& [b, field] : bad) {
    INFO(b.dump());
    auto res = rig.handler.putService(rig.request("PUT", {{"name", "web"}}, b));
    CHECK(res.status == 422);
    CHECK(res.body["error"]["field"] == field);
  }
}

TEST_CASE("a service's type, endpoints and containers come from its checks",
          "[hub][unit][registry]") {
  state::ServiceState s;
  s.name = "shop";
  state::CheckState http;
  http.kind = "http";
  http.target = "http://10.0.0.1/healthz";
  state::CheckState pg;
  pg.kind = "postgres";
  pg.target = "10.0.0.2:5432";
  state::CheckState box;
  box.kind = "container";
  box.target = "shop-1";
  s.checks = {http, pg, box};
  const auto f = registry::factsOf(s);
  CHECK(f.type == "postgres");
  CHECK(f.endpoints == std::vector<std::string>{"10.0.0.2:5432", "http://10.0.0.1/healthz"});
  CHECK(f.containers == std::vector<std::string>{"shop-1"});
  s.checks = {http};
  CHECK(registry::factsOf(s).type == "http");
  s.checks.clear();
  CHECK(registry::factsOf(s).type.empty());

  json out = json::object();
  api::addRegistryFields(out, nullptr, nullptr);
  CHECK(out["type"].is_null());
  CHECK(out["tags"] == json::array());
}

TEST_CASE(
    "the services list and the single view carry the registry's fields, and a PUT changes the "
    "list's ETag",
    "[hub][unit][registry]") {
  Rig rig;
  Registration reg;
  reg.agent_id = "a1";
  reg.boot_id = "b1";
  reg.checks.push_back(CheckSpec{"web-http", "web", "http", "http://10.0.0.1/", {}, {}, 0, {}});
  rig.state.applyRegistration(reg);
  api::ServicesHandler services(rig.state, rig.reads, rig.time);
  services.setRegistry(&rig.service_registry);

  api::ApiRequest get;
  get.method = "GET";
  auto before = services.list(get);
  REQUIRE(before.status == 200);
  std::string etag;
  for (const auto& [k, v] : before.headers) {
    if (k == "ETag") {
      etag = v;
    }
  }
  REQUIRE_FALSE(etag.empty());
  json list = json::parse(before.text.value_or(before.body.dump()));
  REQUIRE(list["services"].size() == 1);
  CHECK(list["services"][0]["type"] == "http");
  CHECK(list["services"][0]["owner"].is_null());
  CHECK(list["services"][0]["tags"] == json::array());

  REQUIRE(rig.handler
              .putService(
                  rig.request("PUT", {{"name", "web"}}, {{"owner", "team-a"}, {"tags", {"prod"}}}))
              .status == 200);
  get.headers.emplace_back("If-None-Match", etag);
  auto after = services.list(get);
  REQUIRE(after.status == 200);  // not 304: the registry changed
  list = json::parse(after.text.value_or(after.body.dump()));
  CHECK(list["services"][0]["owner"] == "team-a");
  CHECK(list["services"][0]["tags"] == json::array({"prod"}));

  api::ApiRequest one;
  one.method = "GET";
  one.path_params = {{"name", "web"}};
  auto view = services.get(one);
  REQUIRE(view.status == 200);
  json body = json::parse(view.text.value_or(view.body.dump()));
  CHECK(body["owner"] == "team-a");
  CHECK(body["endpoints"] == json::array({"http://10.0.0.1/"}));
  CHECK(body.contains("recent"));
}
