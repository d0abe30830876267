#pragma once
// The API's view of incidents and silences: list, read with timeline, acknowledge, and the
// silence CRUD. PgAlertApiStore runs on the API's connection pool; tests use fakes.
#include <optional>
#include <utility>
#include <vector>

#include "hub/alerts/alert_policy.hpp"
#include "hub/alerts/maintenance_source.hpp"
#include "hub/alerts/pg_alert_store.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::alerts {

enum class AckResult { Acknowledged, AlreadyAcknowledged, Resolved, NotFound };

class AlertApiStore {
 public:
  virtual ~AlertApiStore() = default;
  virtual Result<std::vector<Incident>> list(const AlertQuery& q) = 0;
  virtual Result<std::optional<std::pair<Incident, std::vector<TimelineRow>>>> get(
      std::int64_t id) = 0;
  // Stops escalation and reminders of an open incident (recorded on its timeline).
  virtual Result<AckResult> ack(std::int64_t id, const std::string& by, SystemTime now) = 0;
  virtual Result<std::vector<Silence>> silences(bool include_expired, SystemTime now,
                                                int limit) = 0;
  virtual Result<std::optional<Silence>> silence(std::int64_t id) = 0;
  virtual Result<std::int64_t> addSilence(const Silence& s) = 0;
  virtual Result<bool> expireSilence(std::int64_t id, SystemTime now) = 0;
};

class PgAlertApiStore final : public AlertApiStore, public MaintenanceSource {
 public:
  explicit PgAlertApiStore(store::PgPool& pool) : pool_(pool) {}
  Result<std::vector<Incident>> list(const AlertQuery& q) override;
  Result<std::optional<std::pair<Incident, std::vector<TimelineRow>>>> get(
      std::int64_t id) override;
  Result<AckResult> ack(std::int64_t id, const std::string& by, SystemTime now) override;
  Result<std::vector<Silence>> silences(bool include_expired, SystemTime now, int limit) override;
  Result<std::optional<Silence>> silence(std::int64_t id) override;
  Result<std::int64_t> addSilence(const Silence& s) override;
  Result<bool> expireSilence(std::int64_t id, SystemTime now) override;
  // Maintenance silences on whole services (agent and check '*') overlapping [from, until).
  Result<std::vector<MaintenanceWindow>> maintenance(SystemTime from, SystemTime until) override;

 private:
  store::PgPool& pool_;
};

}  // namespace vitals::hub::alerts
