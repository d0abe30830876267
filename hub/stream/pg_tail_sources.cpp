#include "hub/stream/pg_tail_sources.hpp"

#include "common/time/clock.hpp"

namespace vitals::hub::stream {
namespace {

constexpr std::chrono::milliseconds kPoolWait{2000};

std::string rfc3339(const store::PgResult& r, int row, int col) {
  const auto t = r.epochTime(row, col);
  return t ? formatRfc3339(*t) : std::string();
}

Result<std::int64_t> maxId(store::PgPool& pool, const char* sql) {
  auto lease = pool.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(sql, {});
  if (!r.ok()) {
    return r.error();
  }
  return r->int64(0, 0);
}

}  // namespace

std::string_view repairAuditKind(std::string_view action) {
  if (action == "repair.request-approval" || action == "repair.approve" ||
      action == "repair.reject" || action == "repair.expire") {
    return "approval";
  }
  return "repair";
}

Result<std::int64_t> PgIncidentEvents::newestId() {
  return maxId(pool_, "SELECT coalesce(max(id), 0) FROM alert_events");
}

Result<std::vector<TailRow>> PgIncidentEvents::after(std::int64_t after, int limit) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(
      "SELECT e.id, e.event, e.channel, e.detail, " VITALS_EPOCH_US("e.at") ", a.id, a.service, "
      "a.kind, a.state, a.status, a.reason, a.acked_by "
      "FROM alert_events e JOIN alerts a ON a.id = e.alert_id "
      "WHERE e.id > $1 ORDER BY e.id LIMIT $2",
      {std::to_string(after), std::to_string(limit)});
  if (!r.ok()) {
    return r.error();
  }
  std::vector<TailRow> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    TailRow row;
    row.id = r->int64(i, 0);
    row.kind = "incident";
    row.service = r->str(i, 6);
    row.data = {{"incident", r->int64(i, 5)}, {"event", r->str(i, 1)},  {"at", rfc3339(*r, i, 4)},
                {"service", row.service},     {"kind", r->str(i, 7)},   {"state", r->str(i, 8)},
                {"status", r->str(i, 9)},     {"reason", r->str(i, 10)}};
    if (!r->get(i, 2).empty()) {
      row.data["channel"] = r->str(i, 2);
    }
    if (!r->get(i, 3).empty()) {
      row.data["detail"] = r->str(i, 3);
    }
    if (!r->get(i, 11).empty()) {
      row.data["acked_by"] = r->str(i, 11);
    }
    out.push_back(std::move(row));
  }
  return out;
}

Result<std::int64_t> PgRepairAudit::newestId() {
  return maxId(pool_, "SELECT coalesce(max(id), 0) FROM audit_log");
}

Result<std::vector<TailRow>> PgRepairAudit::after(std::int64_t after, int limit) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  // Every audit row moves the position (so a quiet repair trail does not re-read the rest), but
  // only repair rows become events: the others come back with an empty action and are skipped.
  auto r = lease->conn().exec(
      "SELECT l.id, CASE WHEN l.action LIKE 'repair.%' AND l.action NOT LIKE 'repair.policy.%' "
      "THEN l.action ELSE '' END, " VITALS_EPOCH_US("l.at") ", l.actor, l.outcome, "
      "rp.id, coalesce(rp.service, l.parameters->>'service', ''), coalesce(rp.agent_id, ''), "
      "coalesce(rp.action, ''), coalesce(rp.status, ''), coalesce(rp.trigger, '') "
      "FROM audit_log l LEFT JOIN auto_repairs rp ON rp.id = CASE WHEN "
      "  l.parameters->>'repair_id' ~ '^[0-9]{1,18}$' THEN (l.parameters->>'repair_id')::bigint "
      "  END "
      "WHERE l.id > $1 ORDER BY l.id LIMIT $2",
      {std::to_string(after), std::to_string(limit)});
  if (!r.ok()) {
    return r.error();
  }
  std::vector<TailRow> out;
  for (int i = 0; i < r->rows(); ++i) {
    TailRow row;
    row.id = r->int64(i, 0);
    const auto action = r->str(i, 1);
    if (action.empty()) {
      row.kind = "";  // not a repair row: moves the position only
      out.push_back(std::move(row));
      continue;
    }
    row.kind = std::string(repairAuditKind(action));
    row.service = r->str(i, 6);
    row.data = {{"step", action.substr(std::string_view("repair.").size())},
                {"at", rfc3339(*r, i, 2)},
                {"actor", r->str(i, 3)},
                {"outcome", r->str(i, 4)},
                {"service", row.service}};
    if (!r->isNull(i, 5)) {
      row.data["repair"] = r->int64(i, 5);
      row.data["agent"] = r->str(i, 7);
      row.data["action"] = r->str(i, 8);
      row.data["status"] = r->str(i, 9);
      row.data["trigger"] = r->str(i, 10);
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace vitals::hub::stream
