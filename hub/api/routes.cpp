#include "hub/api/routes.hpp"

namespace vitals::hub::api {

Router buildRouter(const Handlers& h) {
  Router r;
  auto bind = [](const auto& obj, auto method) {
    return [&obj, method](const ApiRequest& req) { return (obj.*method)(req); };
  };
  r.add({"GET",
         "/api/v1/services",
         {"status", "q", "agent", "tag", "type", "sort", "limit", "cursor"},
         bind(h.services, &ServicesHandler::list)});
  r.add({"GET", "/api/v1/summary", {"limit"}, bind(h.services, &ServicesHandler::summary)});
  r.add({"GET", "/api/v1/services/{name}", {}, bind(h.services, &ServicesHandler::get)});
  r.add({"GET",
         "/api/v1/services/{name}/history",
         {"since", "until", "limit", "cursor"},
         bind(h.services, &ServicesHandler::history)});
  r.add({"GET",
         "/api/v1/history",
         {"since", "until", "limit", "cursor", "service", "status", "agent", "kind"},
         bind(h.services, &ServicesHandler::allHistory)});
  r.add({"GET",
         "/api/v1/services/{name}/uptime",
         {"window"},
         bind(h.uptime, &UptimeHandler::service)});
  r.add(
      {"GET", "/api/v1/services/{name}/trends", {"hours"}, bind(h.uptime, &UptimeHandler::trends)});
  r.add({"GET", "/api/v1/uptime", {"window"}, bind(h.uptime, &UptimeHandler::all)});
  r.add({"GET", "/api/v1/agents", {}, bind(h.agents, &AgentsHandler::list)});
  r.add({"GET", "/api/v1/agents/{id}", {}, bind(h.agents, &AgentsHandler::get)});
  r.add(
      {"DELETE", "/api/v1/agents/{id}", {}, bind(h.agents, &AgentsHandler::forget), Access::Admin});
  if (h.alerts != nullptr) {
    const auto& a = *h.alerts;
    r.add({"GET", "/api/v1/alerts/configs", {}, bind(a, &AlertsHandler::listConfigs)});
    r.add({"GET", "/api/v1/alerts/configs/{service}", {}, bind(a, &AlertsHandler::getConfig)});
    r.add({"PUT", "/api/v1/alerts/configs/{service}", {}, bind(a, &AlertsHandler::putConfig)});
    r.add(
        {"DELETE", "/api/v1/alerts/configs/{service}", {}, bind(a, &AlertsHandler::deleteConfig)});
    r.add({"GET",
           "/api/v1/notifications",
           {"status", "limit"},
           bind(a, &AlertsHandler::notifications)});
  }
  if (h.keys != nullptr) {
    const auto& k = *h.keys;
    r.add({"GET", "/api/v1/keys", {}, bind(k, &KeysHandler::list), Access::Admin});
    r.add({"POST", "/api/v1/keys", {}, bind(k, &KeysHandler::create), Access::Admin});
    r.add({"DELETE", "/api/v1/keys/{id}", {}, bind(k, &KeysHandler::revoke), Access::Admin});
  }
  if (h.incidents != nullptr) {
    const auto& i = *h.incidents;
    r.add({"GET",
           "/api/v1/alerts",
           {"state", "service", "kind", "limit", "before"},
           bind(i, &IncidentsHandler::list)});
    r.add({"GET", "/api/v1/alerts/{id}", {}, bind(i, &IncidentsHandler::get)});
    r.add({"POST", "/api/v1/alerts/{id}/ack", {}, bind(i, &IncidentsHandler::ack)});
    r.add(
        {"GET", "/api/v1/silences", {"state", "limit"}, bind(i, &IncidentsHandler::listSilences)});
    r.add({"POST", "/api/v1/silences", {}, bind(i, &IncidentsHandler::createSilence)});
    r.add({"GET", "/api/v1/silences/{id}", {}, bind(i, &IncidentsHandler::getSilence)});
    r.add({"DELETE", "/api/v1/silences/{id}", {}, bind(i, &IncidentsHandler::expireSilence)});
  }
  if (h.preflight != nullptr) {
    const auto& p = *h.preflight;
    r.add({"GET", "/api/v1/preflight", {}, bind(p, &PreflightHandler::get)});
    r.add({"POST", "/api/v1/preflight/run", {}, bind(p, &PreflightHandler::run)});
    r.add({"GET", "/api/v1/preflight/overrides", {}, bind(p, &PreflightHandler::listOverrides)});
    r.add({"POST",
           "/api/v1/preflight/overrides",
           {},
           bind(p, &PreflightHandler::createOverride),
           Access::Admin});
    r.add({"DELETE",
           "/api/v1/preflight/overrides/{id}",
           {},
           bind(p, &PreflightHandler::deleteOverride),
           Access::Admin});
  }
  if (h.events != nullptr) {
    const auto& e = *h.events;
    // An operator key, or no key and an HMAC signature the handler verifies.
    r.add({"POST", "/api/v1/events", {}, bind(e, &EventsHandler::post), Access::Signed});
    r.add({"GET", "/api/v1/events", {"limit"}, bind(e, &EventsHandler::list)});
  }
  if (h.repair != nullptr) {
    const auto& rp = *h.repair;
    r.add({"GET", "/api/v1/policies", {}, bind(rp, &RepairHandler::listPolicies)});
    r.add({"GET", "/api/v1/policies/{service}", {}, bind(rp, &RepairHandler::getPolicy)});
    // Turning automation on is an admin's decision.
    r.add({"PUT",
           "/api/v1/policies/{service}",
           {},
           bind(rp, &RepairHandler::putPolicy),
           Access::Admin});
    r.add({"GET",
           "/api/v1/repairs",
           {"status", "service", "limit", "cursor"},
           bind(rp, &RepairHandler::listRepairs)});
    r.add({"GET", "/api/v1/repairs/{id}", {}, bind(rp, &RepairHandler::getRepair)});
    r.add({"GET",
           "/api/v1/approvals",
           {"service", "limit", "cursor"},
           bind(rp, &RepairHandler::listApprovals)});
    r.add({"POST", "/api/v1/approvals/{id}/approve", {}, bind(rp, &RepairHandler::approve)});
    r.add({"POST", "/api/v1/approvals/{id}/reject", {}, bind(rp, &RepairHandler::reject)});
    r.add(
        {"POST", "/api/v1/services/{name}/actions/restart", {}, bind(rp, &RepairHandler::restart)});
    r.add({"POST", "/api/v1/services/{name}/actions/run", {}, bind(rp, &RepairHandler::run)});
    r.add(
        {"POST", "/api/v1/services/{name}/actions/recheck", {}, bind(rp, &RepairHandler::recheck)});
    r.add({"POST",
           "/api/v1/services/{name}/actions/diagnose",
           {},
           bind(rp, &RepairHandler::diagnose)});
    r.add({"GET",
           "/api/v1/services/{name}/logs",
           {"lines", "agent"},
           bind(rp, &RepairHandler::logs)});
  }
  if (h.audit != nullptr) {
    r.add({"GET",
           "/api/v1/audit",
           {"since", "until", "actor", "action", "target", "limit", "cursor", "format"},
           bind(*h.audit, &AuditHandler::list),
           Access::Admin});
  }
  if (h.stream != nullptr) {
    // A key, or (browsers' EventSource) a single-use ticket the handler redeems.
    r.add({"GET",
           "/api/v1/stream",
           {"kinds", "services", "ticket", "last_event_id"},
           bind(*h.stream, &StreamHandler::stream),
           Access::Ticket});
    // The same stream as a WebSocket, served by the WebSocket listener (ws_server.hpp); over
    // plain HTTP it answers 426 naming the listener's port.
    r.add({"GET",
           "/api/v1/ws",
           {"kinds", "services", "ticket", "last_event_id"},
           bind(*h.stream, &StreamHandler::websocket),
           Access::Ticket});
    // Any key may get a ticket for its own role.
    r.add({"POST",
           "/api/v1/stream/tickets",
           {},
           bind(*h.stream, &StreamHandler::createTicket),
           Access::Readonly});
  }
  if (h.security != nullptr) {
    const auto& s = *h.security;
    r.add({"GET",
           "/api/v1/security/scans",
           {"service", "limit", "cursor"},
           bind(s, &SecurityHandler::listScans)});
    r.add({"GET", "/api/v1/security/scans/{id}", {}, bind(s, &SecurityHandler::getScan)});
    r.add({"GET",
           "/api/v1/security/findings",
           {"service", "severity", "status", "limit", "cursor"},
           bind(s, &SecurityHandler::listFindings)});
  }
  if (h.log_stats != nullptr) {
    const auto& l = *h.log_stats;
    r.add({"GET", "/api/v1/logs/stats", {"window"}, bind(l, &LogStatsHandler::stats)});
    r.add({"GET",
           "/api/v1/logs/stats/{service}",
           {"window"},
           bind(l, &LogStatsHandler::serviceStats)});
    r.add({"GET",
           "/api/v1/logs/top-errors",
           {"window", "service", "limit"},
           bind(l, &LogStatsHandler::topErrors)});
    r.add({"GET", "/api/v1/logs/thresholds", {}, bind(l, &LogStatsHandler::listThresholds)});
    r.add(
        {"PUT", "/api/v1/logs/thresholds/{service}", {}, bind(l, &LogStatsHandler::putThreshold)});
    r.add({"DELETE",
           "/api/v1/logs/thresholds/{service}",
           {},
           bind(l, &LogStatsHandler::deleteThreshold)});
    r.add({"GET", "/api/v1/jobs", {"type", "status", "limit"}, bind(l, &LogStatsHandler::jobs)});
  }
  if (h.hub != nullptr) {
    r.add({"GET", "/api/v1/hub", {}, bind(*h.hub, &HubHandler::get)});
  }
  if (h.federation != nullptr) {
    const auto& f = *h.federation;
    r.add({"GET", "/api/v1/federation/hubs", {}, bind(f, &FederationHandler::hubs)});
    r.add({"GET", "/api/v1/federation/hubs/{id}", {}, bind(f, &FederationHandler::hub)});
    r.add({"GET",
           "/api/v1/federation/services",
           {"status", "hub"},
           bind(f, &FederationHandler::services)});
    // A hub's URL is where operators are sent: an admin's decision.
    r.add({"POST",
           "/api/v1/federation/register",
           {},
           bind(f, &FederationHandler::registerHub),
           Access::Admin});
  }
  if (h.enrollment != nullptr) {
    const auto& en = *h.enrollment;
    // Making bus identities and cutting them off is an admin's decision.
    r.add({"POST",
           "/api/v1/enrollment-tokens",
           {},
           bind(en, &EnrollmentHandler::createToken),
           Access::Admin});
    r.add({"GET",
           "/api/v1/enrollment-tokens",
           {},
           bind(en, &EnrollmentHandler::listTokens),
           Access::Admin});
    // A new node has no key: its one-time token (in the body) is checked by the handler.
    r.add({"POST", "/api/v1/enroll", {}, bind(en, &EnrollmentHandler::enroll), Access::Token});
    r.add({"POST",
           "/api/v1/agents/{id}/revoke",
           {},
           bind(en, &EnrollmentHandler::revoke),
           Access::Admin});
  }
  if (h.registry != nullptr) {
    const auto& rg = *h.registry;
    r.add({"PUT", "/api/v1/services/{name}", {}, bind(rg, &RegistryHandler::putService)});
    r.add({"GET", "/api/v1/agents/{id}/checks", {}, bind(rg, &RegistryHandler::listChecks)});
    r.add({"POST", "/api/v1/agents/{id}/checks", {}, bind(rg, &RegistryHandler::createCheck)});
    r.add({"PUT", "/api/v1/agents/{id}/checks/{name}", {}, bind(rg, &RegistryHandler::putCheck)});
    r.add({"DELETE",
           "/api/v1/agents/{id}/checks/{name}",
           {},
           bind(rg, &RegistryHandler::deleteCheck)});
  }
  r.add({"GET", "/", {}, bind(h.ops, &OpsHandler::dashboard), Access::Public});
  r.add({"GET", "/healthz", {}, bind(h.ops, &OpsHandler::healthz), Access::Public});
  r.add({"GET", "/readyz", {}, bind(h.ops, &OpsHandler::readyz), Access::Public});
  r.add({"GET", "/metrics", {}, bind(h.ops, &OpsHandler::metrics), Access::Metrics});
  return r;
}

}  // namespace vitals::hub::api
