// docs/openapi.yaml and the route table must describe the same API.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <set>

#include "common/time/manual_time.hpp"
#include "hub/api/routes.hpp"
#include "hub/repair/repair_engine.hpp"
#include "tests/unit/hub/fakes/fake_alert_store.hpp"
#include "tests/unit/hub/fakes/fake_key_store.hpp"
#include "tests/unit/hub/fakes/fake_events.hpp"
#include "tests/unit/hub/fakes/fake_preflight.hpp"
#include "tests/unit/hub/fakes/fake_read_store.hpp"
#include "tests/unit/hub/fakes/fake_status_store.hpp"

using namespace vitals;
using namespace vitals::hub;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Query parameters of an operation, following local $refs to components/parameters.
std::set<std::string> queryParams(const YAML::Node& doc, const YAML::Node& op) {
  std::set<std::string> out;
  for (const auto& p : op["parameters"]) {
    YAML::Node param = p;
    if (p["$ref"]) {
      const auto ref = p["$ref"].as<std::string>();
      param = doc["components"]["parameters"][ref.substr(ref.rfind('/') + 1)];
    }
    if (param["in"].as<std::string>() == "query") {
      out.insert(param["name"].as<std::string>());
    }
  }
  return out;
}

}  // namespace

TEST_CASE("docs/openapi.yaml documents exactly the routes the hub serves",
          "[hub][unit][api]") {
  const YAML::Node doc = YAML::LoadFile(VITALS_OPENAPI_FILE);
  ManualTime time;
  state::HubState state;
  test::FakeReadStore store;
  metrics::Registry registry;
  api::ServicesHandler services{state, store, time};
  api::AgentsHandler agents{store, time};
  api::OpsHandler ops{{}, registry};
  test::FakeStatusStore uptime_store;
  api::UptimeHandler uptime{state, uptime_store, time, 0.5};
  test::FakeAlertConfigStore alert_configs;
  test::FakeOutboxReader outbox;
  api::AlertsHandler alerts{alert_configs, outbox, {}, time};
  test::FakeKeyStore key_store;
  test::CountingRandom key_random;
  api::KeysHandler keys{key_store, key_random, time};
  api::Handlers handlers{services, agents, ops, uptime, &alerts};
  handlers.keys = &keys;
  // Repairs, approvals, quick actions and the audit trail (nothing connects: the pool is lazy).
  auto null_logger = std::make_shared<spdlog::logger>("null");
  store::PgPool pool({}, 1, null_logger);
  repair::PgRepairStore repair_store(time, {});
  repair::NatsAgentCommands agent_commands(
      [](const std::string&, std::string_view, std::chrono::milliseconds) -> Result<std::string> {
        return Error{"nats.unavailable", "no bus in unit tests", {}};
      });
  repair::RepairEngine repair_engine(
      state, {}, repair_store,
      [] { return Result<std::unique_ptr<store::PgConnection>>(Error{"db.unavailable", "", {}}); },
      agent_commands, time, registry, null_logger, {});
  api::RepairHandler repair_handler(pool, repair_store, repair_engine, agent_commands, state, time,
                                    std::chrono::seconds{1});
  api::AuditHandler audit_handler(pool);
  handlers.repair = &repair_handler;
  handlers.audit = &audit_handler;
  // Pre-flight checklist and inbound events, on fakes (nothing runs).
  test::FakeOverrideStore preflight_overrides;
  preflight::PreflightRunner preflight_runner(time, preflight_overrides, registry,
                                              [](const preflight::PreflightReport&) {});
  api::PreflightHandler preflight_handler(preflight_runner, preflight_overrides, time);
  test::FakeActionRunner action_runner;
  test::FakeEventLog event_log;
  events::EventProcessor event_processor({}, {}, action_runner, event_log, time, registry, {});
  api::EventsHandler events_handler(event_processor, event_log, {}, time);
  handlers.preflight = &preflight_handler;
  handlers.events = &events_handler;
  const auto router = api::buildRouter(handlers);

  std::set<std::string> served;
  for (const auto& r : router.routes()) {
    const std::string key = lower(r.method) + " " + r.pattern;
    served.insert(key);
    INFO(key);
    const auto op = doc["paths"][r.pattern][lower(r.method)];
    REQUIRE(op);
    CHECK(queryParams(doc, op) == std::set<std::string>(r.query_params.begin(),
                                                        r.query_params.end()));
  }
  std::set<std::string> documented;
  for (const auto& path : doc["paths"]) {
    for (const auto& method : path.second) {
      documented.insert(method.first.as<std::string>() + " " + path.first.as<std::string>());
    }
  }
  CHECK(documented == served);
}
