#pragma once
// What the alert engine reads and writes per batch of changes and per tick: the read position
// in the status changes (cursor), the open incidents and their timeline, clean-stop notices
// owed, silences (maintenance windows are silences), the stored alert configs and their
// fingerprint, and the notification outbox. PgAlertStore (pg_alert_store.hpp) is the
// PostgreSQL one on a connection; tests use an in-memory fake
// (tests/unit/hub/fakes/fake_alert_engine_store.hpp).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "hub/alerts/alert_policy.hpp"
#include "hub/notify/alert_config.hpp"
#include "hub/notify/notification.hpp"

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

class AlertStore {
 public:
  virtual ~AlertStore() = default;
  // Runs fn as one transaction: committed when it returns ok, rolled back (nothing written)
  // otherwise.
  virtual Status transaction(const std::function<Status()>& fn) = 0;
  // The cursor, locked for this transaction (one hub at a time processes changes).
  virtual Result<std::int64_t> lockCursor() = 0;
  virtual Status advanceCursor(std::int64_t last_change_id) = 0;
  // Status changes after `after`, oldest first.
  virtual Result<std::vector<Change>> changesAfter(std::int64_t after, int limit) = 0;
  // The open incident of (service, kind), locked.
  virtual Result<std::optional<Incident>> openIncident(const std::string& service,
                                                       IncidentKind kind) = 0;
  // Open incidents no other transaction holds.
  virtual Result<std::vector<Incident>> lockOpenIncidents(int limit) = 0;
  // The newest status incident of the service resolved by a clean stop whose notice is still
  // owed (stop_notice_due set).
  virtual Result<std::optional<Incident>> stopPendingIncident(const std::string& service) = 0;
  // Whether the agent is still stopped (deregistered) or retired.
  virtual Result<bool> agentStillStopped(const std::string& agent) = 0;
  // Incidents whose stop notice is due at `now`.
  virtual Result<std::vector<Incident>> lockDueStopNotices(SystemTime now, int limit) = 0;
  // Inserts (id == 0; the id is set) or updates the incident.
  virtual Status save(Incident& incident) = 0;
  virtual Status addEvents(std::int64_t alert_id, const std::vector<TimelineEvent>& events,
                           SystemTime at) = 0;
  // Silences (maintenance included) whose window overlaps [from, until).
  virtual Result<std::vector<Silence>> silences(SystemTime from, SystemTime until) = 0;
  // Changes whenever a stored alert config is created, changed or deleted.
  virtual Result<std::string> alertConfigsFingerprint() = 0;
  // The stored alert config of a service (nullopt when none is stored).
  virtual Result<std::optional<notify::AlertConfig>> alertConfig(const std::string& service) = 0;
  // A notification intent, idempotent by its key: true when new, false when already written.
  virtual Result<bool> enqueue(const notify::Notification& n) = 0;
};

}  // namespace vitals::hub::alerts
