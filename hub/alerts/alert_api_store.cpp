#include "hub/alerts/alert_api_store.hpp"

namespace vitals::hub::alerts {
namespace {
constexpr std::chrono::milliseconds kPoolWait{2000};
}  // namespace

// Each call leases a pooled connection and runs fn(conn).
#define WITH_CONN(conn_var)              \
  auto lease = pool_.acquire(kPoolWait); \
  if (!lease.ok()) {                     \
    return lease.error();                \
  }                                      \
  store::PgConnection& conn_var = lease->conn()

Result<std::vector<Incident>> PgAlertApiStore::list(const AlertQuery& q) {
  WITH_CONN(conn);
  return pg::incidents(conn, q);
}

Result<std::optional<std::pair<Incident, std::vector<TimelineRow>>>> PgAlertApiStore::get(
    std::int64_t id) {
  using Out = std::optional<std::pair<Incident, std::vector<TimelineRow>>>;
  WITH_CONN(conn);
  auto i = pg::incident(conn, id, false);
  if (!i.ok()) {
    return i.error();
  }
  if (!i->has_value()) {
    return Out{};
  }
  auto t = pg::timeline(conn, id);
  if (!t.ok()) {
    return t.error();
  }
  return Out{std::make_pair(std::move(**i), std::move(t.value()))};
}

Result<AckResult> PgAlertApiStore::ack(std::int64_t id, const std::string& by, SystemTime now) {
  WITH_CONN(conn);
  AckResult result = AckResult::NotFound;
  auto s = store::inTransaction(conn, [&]() -> Status {
    auto i = pg::incident(conn, id, true);
    if (!i.ok()) {
      return i.error();
    }
    if (!i->has_value()) {
      result = AckResult::NotFound;
      return okStatus();
    }
    const Incident& x = **i;
    if (!x.open) {
      result = AckResult::Resolved;
      return okStatus();
    }
    if (x.acked_at) {
      result = AckResult::AlreadyAcknowledged;
      return okStatus();
    }
    auto plan = onAck(x, by, now);
    if (!plan.incident) {
      return Error{"alerts.ack", "acknowledgement had no effect", {}};
    }
    if (auto w = pg::save(conn, *plan.incident); !w.ok()) {
      return w;
    }
    result = AckResult::Acknowledged;
    return pg::addEvents(conn, id, plan.events, now);
  });
  if (!s.ok()) {
    return s.error();
  }
  return result;
}

Result<std::vector<Silence>> PgAlertApiStore::silences(bool include_expired, SystemTime now,
                                                       int limit) {
  WITH_CONN(conn);
  return pg::allSilences(conn, include_expired, now, limit);
}

Result<std::optional<Silence>> PgAlertApiStore::silence(std::int64_t id) {
  WITH_CONN(conn);
  return pg::silence(conn, id);
}

Result<std::int64_t> PgAlertApiStore::addSilence(const Silence& s) {
  WITH_CONN(conn);
  return pg::insertSilence(conn, s);
}

Result<bool> PgAlertApiStore::expireSilence(std::int64_t id, SystemTime now) {
  WITH_CONN(conn);
  return pg::expireSilence(conn, id, now);
}

Result<std::vector<MaintenanceWindow>> PgAlertApiStore::maintenance(SystemTime from,
                                                                    SystemTime until) {
  WITH_CONN(conn);
  auto rows = pg::silences(conn, from, until);
  if (!rows.ok()) {
    return rows.error();
  }
  std::vector<MaintenanceWindow> out;
  for (const auto& s : rows.value()) {
    if (s.maintenance && s.agent == "*" && s.check == "*") {
      out.push_back({s.service, s.starts_at, s.ends_at});
    }
  }
  return out;
}

#undef WITH_CONN

}  // namespace vitals::hub::alerts
