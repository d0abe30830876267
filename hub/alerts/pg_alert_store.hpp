#pragma once
// The alert policy's tables (schema 0004): incidents (alerts), their timeline (alert_events),
// silences, and the read position in status_changes (alert_cursor). Every function runs one or
// more statements on the caller's connection, inside the caller's transaction when one is open.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "hub/alerts/alert_policy.hpp"
#include "hub/notify/alert_config.hpp"
#include "hub/store/pg_connection.hpp"

namespace vitals::hub::alerts {

struct Silence {
  std::int64_t id = 0;
  std::string service = "*";  // glob patterns
  std::string agent = "*";
  std::string check = "*";
  SystemTime starts_at{};
  SystemTime ends_at{};
  bool maintenance = false;
  std::string comment;
  std::string creator;
  SystemTime created_at{};
};

// Whether the silence covers (service, agent, check) at time `at`.
bool covers(const Silence& s, const std::string& service, const std::string& agent,
            const std::string& check, SystemTime at);

struct TimelineRow {
  std::int64_t id = 0;
  SystemTime at{};
  std::string event;
  std::string channel;
  std::string detail;
};

struct AlertQuery {
  std::string state;    // "open", "resolved" or "" (any)
  std::string service;  // "" = any
  std::string kind;     // "status", "log_rate", "agents" or "" (any)
  int limit = 100;
  std::int64_t before_id = 0;  // paging: ids below this (0 = from the newest)
};

namespace pg {

// The cursor row locked FOR UPDATE (one hub at a time processes changes).
Result<std::int64_t> lockCursor(store::PgConnection& conn);
Status advanceCursor(store::PgConnection& conn, std::int64_t last_change_id);
// status_changes after `after`, oldest first.
Result<std::vector<Change>> changesAfter(store::PgConnection& conn, std::int64_t after, int limit);

// The open incident of (service, kind), locked FOR UPDATE.
Result<std::optional<Incident>> openIncident(store::PgConnection& conn, const std::string& service,
                                             IncidentKind kind);
// Open incidents not locked by another transaction (FOR UPDATE SKIP LOCKED).
Result<std::vector<Incident>> lockOpenIncidents(store::PgConnection& conn, int limit);
// The newest status incident of the service resolved by a clean stop whose notice is still
// owed (stop_notice_due set), locked FOR UPDATE.
Result<std::optional<Incident>> stopPendingIncident(store::PgConnection& conn,
                                                    const std::string& service);
// Whether the agent is still stopped (deregistered) or retired (agents table).
Result<bool> agentStillStopped(store::PgConnection& conn, const std::string& agent);
// Incidents whose stop notice is due at `now` (FOR UPDATE SKIP LOCKED).
Result<std::vector<Incident>> lockDueStopNotices(store::PgConnection& conn, SystemTime now,
                                                 int limit);
Result<std::optional<Incident>> incident(store::PgConnection& conn, std::int64_t id, bool lock);
Result<std::vector<Incident>> incidents(store::PgConnection& conn, const AlertQuery& q);
// Inserts (id == 0; the id is set) or updates the incident.
Status save(store::PgConnection& conn, Incident& incident);
Status addEvents(store::PgConnection& conn, std::int64_t alert_id,
                 const std::vector<TimelineEvent>& events, SystemTime at);
Result<std::vector<TimelineRow>> timeline(store::PgConnection& conn, std::int64_t alert_id);

// Silences whose window overlaps [from, until).
Result<std::vector<Silence>> silences(store::PgConnection& conn, SystemTime from, SystemTime until);
Result<std::vector<Silence>> allSilences(store::PgConnection& conn, bool include_expired,
                                         SystemTime now, int limit);
Result<std::optional<Silence>> silence(store::PgConnection& conn, std::int64_t id);
Result<std::int64_t> insertSilence(store::PgConnection& conn, const Silence& s);
// Ends the silence now (ends_at = now when it ends later); true when it changed.
Result<bool> expireSilence(store::PgConnection& conn, std::int64_t id, SystemTime now);

// The alert config of a service (nullopt when none is stored).
// Changes whenever a stored alert config is created, changed or deleted.
Result<std::string> alertConfigsFingerprint(store::PgConnection& conn);
Result<std::optional<notify::AlertConfig>> alertConfig(store::PgConnection& conn,
                                                       const std::string& service);

}  // namespace pg
}  // namespace vitals::hub::alerts
