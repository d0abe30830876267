// The repair and audit handlers' request validation (refused before any database or agent is
// touched: the pool is lazy and the agent commands answer "unavailable"), and the CSV escaping
// of the audit export.
#include <spdlog/logger.h>
#include <catch2/catch.hpp>

#include "common/metrics/metrics.hpp"
#include "common/time/manual_time.hpp"
#include "hub/api/audit_handler.hpp"
#include "hub/api/repair_handler.hpp"

using namespace vitals;
using namespace vitals::hub;

namespace {

struct Rig {
  ManualTime time;
  state::HubState state;
  metrics::Registry registry;
  std::shared_ptr<spdlog::logger> logger = std::make_shared<spdlog::logger>("null");
  store::PgPool pool{store::PgConnectOptions{"host=127.0.0.1 port=1 connect_timeout=1", "",
                                             std::chrono::milliseconds{100}},
                     1, logger};
  repair::PgRepairStore store{time, {}};
  int agent_calls = 0;
  repair::NatsAgentCommands agents{[this](const std::string&, std::string_view,
                                          std::chrono::milliseconds) -> Result<std::string> {
    ++agent_calls;
    return Error{"nats.unavailable", "no bus", {}};
  }};
  repair::RepairEngine engine{
      state,
      {},
      [] {
        return Result<std::unique_ptr<repair::RepairStore>>(Error{"db.unavailable", "", {}});
      },
      agents,
      time,
      registry,
      logger,
      {}};
  api::RepairHandler handler{pool, store, engine, agents, state, time, std::chrono::seconds{1}};
  audit::PgAuditReader audit_reader{pool};
  api::AuditHandler audit{audit_reader};

  api::ApiRequest request(const std::string& name, std::string body = "") {
    api::ApiRequest r;
    r.method = "POST";
    r.path_params["name"] = name;
    r.body = std::move(body);
    r.actor = "key:1";
    return r;
  }
};

}  // namespace

TEST_CASE("restart needs {\"confirm\": true} and a well-formed body", "[hub][unit][repair]") {
  Rig rig;
  struct Row {
    std::string body;
    std::string code;
  };
  const auto row = GENERATE(values<Row>({
      {"", "confirm_required"},
      {"{}", "confirm_required"},
      {R"({"confirm": false})", "confirm_required"},
      {R"({"confirm": "yes"})", "confirm_required"},
      {R"({"confirm": true, "dry_run": "no"})", "bad_request"},
      {R"({"confirm": true, "agent": 7})", "bad_request"},
      {R"({"confirm": true, "force": true})", "bad_request"},
      {"[1]", "bad_request"},
      {"{", "bad_request"},
  }));
  INFO(row.body);
  auto r = rig.handler.restart(rig.request("web", row.body));
  CHECK(r.status == 400);
  CHECK(r.body["error"]["code"] == row.code);
  CHECK(rig.agent_calls == 0);
}

TEST_CASE("quick actions on an unknown service are 404 and ask no agent", "[hub][unit][repair]") {
  Rig rig;
  // Which agents serve a service comes from the database: without one, restart cannot tell.
  CHECK(rig.handler.restart(rig.request("nope", R"({"confirm": true})")).status == 503);
  CHECK(rig.handler.recheck(rig.request("nope")).status == 404);
  CHECK(rig.handler.diagnose(rig.request("nope")).status == 404);
  auto logs = rig.request("nope");
  logs.query = {{"lines", "5000"}};
  CHECK(rig.handler.logs(logs).status == 400);
  logs.query = {{"lines", "10"}};
  CHECK(rig.handler.logs(logs).status == 404);
  CHECK(rig.agent_calls == 0);
}

TEST_CASE("recheck of a service whose agents do not answer is 502 with the reasons",
          "[hub][unit][repair]") {
  Rig rig;
  Registration reg;
  reg.agent_id = "node-1";
  CheckSpec spec;
  spec.name = "web-http";
  spec.service = "web";
  spec.kind = "http";
  reg.checks.push_back(spec);
  rig.state.applyRegistration(reg);
  auto r = rig.handler.recheck(rig.request("web"));
  CHECK(r.status == 502);
  CHECK(r.body["errors"].size() == 1);
  CHECK(rig.agent_calls == 1);
}

TEST_CASE("audit and repair listings refuse bad parameters before the database",
          "[hub][unit][repair]") {
  Rig rig;
  api::ApiRequest r;
  r.method = "GET";
  for (auto q : std::vector<std::pair<std::string, std::string>>{{"format", "xml"},
                                                                 {"limit", "0"},
                                                                 {"limit", "1001"},
                                                                 {"since", "yesterday"},
                                                                 {"cursor", "!!"}}) {
    INFO(q.first << "=" << q.second);
    r.query = {q};
    CHECK(rig.audit.list(r).status == 400);
  }
  r.query = {{"status", "exploded"}};
  CHECK(rig.handler.listRepairs(r).status == 400);
  r.query = {{"cursor", "bm9wZQ"}};
  CHECK(rig.handler.listRepairs(r).status == 400);
  api::ApiRequest id;
  id.path_params["id"] = "12abc";
  CHECK(rig.handler.getRepair(id).status == 404);
  CHECK(rig.handler.approve(id).status == 404);
}

TEST_CASE("audit CSV fields are RFC 4180 and never start a formula", "[hub][unit][repair]") {
  CHECK(api::csvField("plain") == "plain");
  CHECK(api::csvField("a,b") == "\"a,b\"");
  CHECK(api::csvField("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(api::csvField("two\nlines") == "\"two\nlines\"");
  CHECK(api::csvField("=cmd()") == "'=cmd()");
  CHECK(api::csvField("-1") == "'-1");
  CHECK(api::csvField("") == "");
}
