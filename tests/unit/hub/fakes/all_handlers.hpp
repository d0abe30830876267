#pragma once
// Every API handler the hub has, built over fakes (nothing connects: the PgPool is lazy and no
// handler is called by the tests that use this), and the full route table over them. The one
// place a new handler group is added for the route-table tests: docs/openapi.yaml parity
// (openapi_test.cpp) and the access matrix (access_matrix_test.cpp).
#include <spdlog/logger.h>

#include <memory>

#include "common/time/manual_time.hpp"
#include "hub/api/routes.hpp"
#include "hub/repair/repair_engine.hpp"
#include "tests/unit/hub/fakes/fake_alert_store.hpp"
#include "tests/unit/hub/fakes/fake_enrollment.hpp"
#include "tests/unit/hub/fakes/fake_events.hpp"
#include "tests/unit/hub/fakes/fake_key_store.hpp"
#include "tests/unit/hub/fakes/fake_log_stats.hpp"
#include "tests/unit/hub/fakes/fake_preflight.hpp"
#include "tests/unit/hub/fakes/fake_read_store.hpp"
#include "tests/unit/hub/fakes/fake_registry_store.hpp"
#include "tests/unit/hub/fakes/fake_status_store.hpp"

namespace vitals::test {

struct AllHandlers {
  ManualTime time;
  hub::state::HubState state;
  FakeReadStore store;
  metrics::Registry registry;
  hub::api::ServicesHandler services{state, store, time};
  hub::api::AgentsHandler agents{store, time};
  hub::api::OpsHandler ops{{}, registry};
  FakeStatusStore uptime_store;
  hub::api::UptimeHandler uptime{state, uptime_store, time, 0.5};
  FakeAlertConfigStore alert_configs;
  FakeOutboxReader outbox;
  hub::api::AlertsHandler alerts{alert_configs, outbox, {}, time};
  FakeKeyStore key_store;
  CountingRandom key_random;
  hub::api::KeysHandler keys{key_store, key_random, time};
  // Repairs, approvals, quick actions and the audit trail.
  std::shared_ptr<spdlog::logger> null_logger = std::make_shared<spdlog::logger>("null");
  hub::store::PgPool pool{{}, 1, null_logger};
  hub::repair::PgRepairStore repair_store{time, {}};
  hub::repair::NatsAgentCommands agent_commands{
      [](const std::string&, std::string_view, std::chrono::milliseconds) -> Result<std::string> {
        return Error{"nats.unavailable", "no bus in unit tests", {}};
      }};
  hub::repair::RepairEngine repair_engine{
      state,
      {},
      [] {
        return Result<std::unique_ptr<hub::repair::RepairStore>>(Error{"db.unavailable", "", {}});
      },
      agent_commands,
      time,
      registry,
      null_logger,
      {}};
  hub::api::RepairHandler repair_handler{
      pool, repair_store, repair_engine, agent_commands, state, time, std::chrono::seconds{1}};
  hub::audit::PgAuditReader audit_reader{pool};
  hub::api::AuditHandler audit_handler{audit_reader};
  hub::api::SecurityHandler security_handler{pool};
  // Pre-flight checklist and inbound events (nothing runs).
  FakeOverrideStore preflight_overrides;
  hub::preflight::PreflightRunner preflight_runner{time, preflight_overrides, registry,
                                                   [](const hub::preflight::PreflightReport&) {}};
  hub::api::PreflightHandler preflight_handler{preflight_runner, preflight_overrides, time};
  FakeActionRunner action_runner;
  FakeEventLog event_log;
  hub::events::EventProcessor event_processor{{}, {}, action_runner, event_log, time, registry, {}};
  hub::api::EventsHandler events_handler{event_processor, event_log, {}, time};
  // Incidents and silences.
  hub::alerts::PgAlertApiStore alert_api{pool};
  hub::api::IncidentsHandler incidents{alert_api, time};
  // The live stream and its tickets.
  hub::stream::StreamHub stream_hub{time, "e0", {}, registry};
  CountingRandom ticket_random;
  hub::stream::TicketStore tickets{time, ticket_random};
  hub::api::StreamHandler stream_handler{stream_hub, tickets, time};
  // This hub and its replicas' job leases.
  hub::api::HubHandler hub_handler{{"hub-test", "replica-1", "hub-test", "0.0.0"}, {}, {}};
  // Other hubs and the global view (announcements are refused: nothing is stored).
  hub::federation::GlobalView federation_view;
  hub::api::FederationHandler federation{
      "hub-test", state, federation_view,
      [](const std::string&, const std::string&, const std::string&,
         const std::vector<std::string>&) -> Result<hub::federation::RemoteHub> {
        return Error{"db.unavailable", "no database in unit tests", {}};
      },
      time};
  // Agent enrollment over an in-memory store and bus.
  FakeEnrollmentStore enroll_store;
  FakeIdentityPublisher identities;
  CountingRandom enroll_random;
  hub::enroll::Enrollment enrollment{enroll_store, identities, enroll_random, time};
  hub::api::EnrollmentHandler enrollment_handler{
      enrollment, enroll_store, {"hub-test", "nats://127.0.0.1:4222"}, time};
  // The service registry and the checks managed through the API (the sync never starts).
  hub::registry::ServiceRegistry service_registry;
  FakeRegistryStore registry_store;
  hub::registry::CheckSync check_sync{registry_store, agent_commands, time, {}, null_logger};
  hub::api::RegistryHandler registry_handler{
      registry_store, service_registry, check_sync, state, store, time};

  // Log statistics, thresholds and job runs.
  FakeLogStats log_stats_store;
  FakeThresholdStore log_thresholds;
  hub::api::LogStatsHandler log_stats{log_stats_store, log_thresholds, {}, time};

  // The handlers must outlive the router.
  hub::api::Router router() const {
    hub::api::Handlers h{services, agents, ops, uptime, &alerts};
    h.keys = &keys;
    h.repair = &repair_handler;
    h.audit = &audit_handler;
    h.security = &security_handler;
    h.preflight = &preflight_handler;
    h.events = &events_handler;
    h.incidents = &incidents;
    h.stream = &stream_handler;
    h.hub = &hub_handler;
    h.federation = &federation;
    h.enrollment = &enrollment_handler;
    h.log_stats = &log_stats;
    h.registry = &registry_handler;
    return hub::api::buildRouter(h);
  }
};

}  // namespace vitals::test
