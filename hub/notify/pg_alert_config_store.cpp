#include "hub/notify/pg_alert_config_store.hpp"

#include "hub/notify/pg_outbox_store.hpp"

namespace vitals::hub::notify {
namespace {
constexpr std::chrono::milliseconds kPoolWait{2000};
}  // namespace

Result<std::vector<AlertConfig>> PgAlertConfigStore::select(const std::string& where,
                                                            const store::PgParams& p) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  return selectAlertConfigs(lease->conn(), where, p);
}

Result<std::vector<AlertConfig>> selectAlertConfigs(store::PgConnection& conn,
                                                    const std::string& where,
                                                    const store::PgParams& p) {
  auto r = conn.exec(
      "SELECT service, channels::text, escalation_delay_seconds, suppression_window_seconds, "
      "recovery_notice, min_severity, enabled, " VITALS_EPOCH_US("created_at") ", " VITALS_EPOCH_US(
          "updated_at") " FROM health_alert_configs " +
          where + " ORDER BY service",
      p);
  if (!r.ok()) {
    return r.error();
  }
  std::vector<AlertConfig> out;
  for (int i = 0; i < r->rows(); ++i) {
    AlertConfig c;
    c.service = r->str(i, 0);
    auto channels = nlohmann::json::parse(r->str(i, 1), nullptr, false);
    if (channels.is_array()) {
      for (const auto& ch : channels) {
        if (ch.is_string()) {
          c.channels.push_back(ch.get<std::string>());
        }
      }
    }
    c.escalation_delay_seconds = static_cast<int>(r->int64(i, 2));
    c.suppression_window_seconds = static_cast<int>(r->int64(i, 3));
    c.recovery_notice = r->boolean(i, 4);
    c.min_severity = r->str(i, 5);
    c.enabled = r->boolean(i, 6);
    c.created_at = store::fromEpochMicros(r->get(i, 7));
    c.updated_at = store::fromEpochMicros(r->get(i, 8));
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<AlertConfig>> PgAlertConfigStore::list() { return select("", {}); }

Result<std::optional<AlertConfig>> PgAlertConfigStore::get(const std::string& service) {
  auto rows = select("WHERE service = $1", {service});
  if (!rows.ok()) {
    return rows.error();
  }
  if (rows->empty()) {
    return std::optional<AlertConfig>{};
  }
  return std::optional<AlertConfig>{rows->front()};
}

Result<bool> PgAlertConfigStore::put(const AlertConfig& c,
                                     std::chrono::system_clock::time_point now) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  // xmax = 0 only for a freshly inserted row: tells created from replaced in one statement.
  auto r = lease->conn().exec(
      "INSERT INTO health_alert_configs (service, channels, escalation_delay_seconds, "
      "suppression_window_seconds, recovery_notice, min_severity, enabled, created_at, "
      "updated_at) VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7, $8, $8) "
      "ON CONFLICT (service) DO UPDATE SET channels = EXCLUDED.channels, "
      "escalation_delay_seconds = EXCLUDED.escalation_delay_seconds, "
      "suppression_window_seconds = EXCLUDED.suppression_window_seconds, "
      "recovery_notice = EXCLUDED.recovery_notice, min_severity = EXCLUDED.min_severity, "
      "enabled = EXCLUDED.enabled, updated_at = EXCLUDED.updated_at "
      "RETURNING (xmax = 0)",
      {c.service, nlohmann::json(c.channels).dump(), std::to_string(c.escalation_delay_seconds),
       std::to_string(c.suppression_window_seconds), c.recovery_notice ? "true" : "false",
       c.min_severity, c.enabled ? "true" : "false", store::pgTimestamp(now)});
  if (!r.ok()) {
    return r.error();
  }
  return r->rows() == 1 && r->boolean(0, 0);
}

Result<bool> PgAlertConfigStore::remove(const std::string& service) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec("DELETE FROM health_alert_configs WHERE service = $1", {service});
  if (!r.ok()) {
    return r.error();
  }
  return r->affected() == 1;
}

Result<std::vector<OutboxEntry>> PgOutboxReader::list(const std::string& status, int limit) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  return listOutbox(lease->conn(), status, limit);
}

}  // namespace vitals::hub::notify
