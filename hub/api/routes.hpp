#pragma once
// THE list of URLs the hub serves (docs/openapi.yaml is checked against it by a unit test).
#include "hub/api/alerts_handler.hpp"
#include "hub/api/audit_handler.hpp"
#include "hub/api/enrollment_handler.hpp"
#include "hub/api/events_handler.hpp"
#include "hub/api/hub_handler.hpp"
#include "hub/api/federation_handler.hpp"
#include "hub/api/incidents_handler.hpp"
#include "hub/api/keys_handler.hpp"
#include "hub/api/log_stats_handler.hpp"
#include "hub/api/ops_handler.hpp"
#include "hub/api/preflight_handler.hpp"
#include "hub/api/registry_handler.hpp"
#include "hub/api/repair_handler.hpp"
#include "hub/api/router.hpp"
#include "hub/api/security_handler.hpp"
#include "hub/api/services_handler.hpp"
#include "hub/api/stream_handler.hpp"
#include "hub/api/uptime_handler.hpp"

namespace vitals::hub::api {

struct Handlers {
  const ServicesHandler& services;
  const AgentsHandler& agents;
  const OpsHandler& ops;
  const UptimeHandler& uptime;
  // Alert configs and the notification outbox; their routes are served only when set.
  const AlertsHandler* alerts = nullptr;
  // Incidents (alerts), acknowledgements and silences; served only when set.
  const IncidentsHandler* incidents = nullptr;
  // API keys (admin only); served only when set.
  const KeysHandler* keys = nullptr;
  // The pre-flight checklist and its overrides; served only when set.
  const PreflightHandler* preflight = nullptr;
  // Inbound events (POST signed or with a key) and their log; served only when set.
  const EventsHandler* events = nullptr;
  // Repair policies, repairs, approvals and the services' quick actions; served only when set.
  const RepairHandler* repair = nullptr;
  // The audit trail (read, export); served only when set.
  const AuditHandler* audit = nullptr;
  // The live stream (SSE) and its tickets; served only when set.
  const StreamHandler* stream = nullptr;
  // This hub/replica and the holders of the once-per-site jobs; served only when set.
  const HubHandler* hub = nullptr;
  // Other hubs and the global service view; served only when set.
  const FederationHandler* federation = nullptr;
  // Agent enrollment tokens, enrollment and revocation; served only when set.
  const EnrollmentHandler* enrollment = nullptr;
  // Security scans and their findings (kind scan); served only when set.
  const SecurityHandler* security = nullptr;
  // Log statistics, log-rate thresholds and job runs; served only when set.
  const LogStatsHandler* log_stats = nullptr;
  // The service registry's writes and the checks managed through the API; served only when set.
  const RegistryHandler* registry = nullptr;
};

// The handlers must outlive the router.
Router buildRouter(const Handlers& handlers);

}  // namespace vitals::hub::api
