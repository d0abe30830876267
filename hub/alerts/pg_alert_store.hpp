#pragma once
// The alert policy's tables (schema 0004): incidents (alerts), their timeline (alert_events),
// silences, and the read position in status_changes (alert_cursor). Every function runs one or
// more statements on the caller's connection, inside the caller's transaction when one is open.
// PgAlertStore is the alert engine's AlertStore (alert_store.hpp) on one connection.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "hub/alerts/alert_policy.hpp"
#include "hub/alerts/alert_store.hpp"
#include "hub/notify/alert_config.hpp"
#include "hub/notify/outbox.hpp"
#include "hub/store/pg_connection.hpp"

namespace vitals::hub::alerts {

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

// The engine's AlertStore on one connection: the pg:: functions above and the outbox.
class PgAlertStore final : public AlertStore {
 public:
  PgAlertStore(store::PgConnection& conn, const Clock& clock) : conn_(conn), outbox_(clock) {}
  Status transaction(const std::function<Status()>& fn) override;
  Result<std::int64_t> lockCursor() override { return pg::lockCursor(conn_); }
  Status advanceCursor(std::int64_t last_change_id) override {
    return pg::advanceCursor(conn_, last_change_id);
  }
  Result<std::vector<Change>> changesAfter(std::int64_t after, int limit) override {
    return pg::changesAfter(conn_, after, limit);
  }
  Result<std::optional<Incident>> openIncident(const std::string& service,
                                               IncidentKind kind) override {
    return pg::openIncident(conn_, service, kind);
  }
  Result<std::vector<Incident>> lockOpenIncidents(int limit) override {
    return pg::lockOpenIncidents(conn_, limit);
  }
  Result<std::optional<Incident>> stopPendingIncident(const std::string& service) override {
    return pg::stopPendingIncident(conn_, service);
  }
  Result<bool> agentStillStopped(const std::string& agent) override {
    return pg::agentStillStopped(conn_, agent);
  }
  Result<std::vector<Incident>> lockDueStopNotices(SystemTime now, int limit) override {
    return pg::lockDueStopNotices(conn_, now, limit);
  }
  Status save(Incident& incident) override { return pg::save(conn_, incident); }
  Status addEvents(std::int64_t alert_id, const std::vector<TimelineEvent>& events,
                   SystemTime at) override {
    return pg::addEvents(conn_, alert_id, events, at);
  }
  Result<std::vector<Silence>> silences(SystemTime from, SystemTime until) override {
    return pg::silences(conn_, from, until);
  }
  Result<std::string> alertConfigsFingerprint() override {
    return pg::alertConfigsFingerprint(conn_);
  }
  Result<std::optional<notify::AlertConfig>> alertConfig(const std::string& service) override {
    return pg::alertConfig(conn_, service);
  }
  Result<bool> enqueue(const notify::Notification& n) override { return outbox_.enqueue(conn_, n); }

 private:
  store::PgConnection& conn_;
  notify::Outbox outbox_;
};
}  // namespace vitals::hub::alerts
