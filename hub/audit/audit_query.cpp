#include "hub/audit/audit_query.hpp"

#include "common/time/clock.hpp"

namespace vitals::hub::audit {

Result<std::vector<AuditRow>> queryAudit(store::PgConnection& conn, const AuditQuery& q) {
  using std::optional;
  using std::string;
  auto ts = [](const optional<std::chrono::system_clock::time_point>& t) -> optional<string> {
    return t ? optional<string>(store::pgTimestamp(*t)) : std::nullopt;
  };
  std::string action = q.action;
  bool prefix = false;
  if (!action.empty() && action.back() == '*') {
    action.pop_back();
    prefix = true;
  }
  store::PgParams params{
      ts(q.since),
      ts(q.until),
      q.actor,
      action,
      prefix ? "t" : "f",
      q.target,
      q.before ? optional<string>(store::pgTimestamp(std::chrono::system_clock::time_point{
                     std::chrono::microseconds{q.before->first}}))
               : std::nullopt,
      q.before ? optional<string>(std::to_string(q.before->second)) : std::nullopt,
      std::to_string(q.limit + 1)};
  auto r = conn.exec(
      "SELECT id, " VITALS_EPOCH_US("at") ", actor, action, target, parameters::text, "
      "outcome FROM audit_log "
      "WHERE ($1::timestamptz IS NULL OR at >= $1::timestamptz) "
      "AND ($2::timestamptz IS NULL OR at < $2::timestamptz) "
      "AND ($3 = '' OR actor = $3) "
      "AND ($4 = '' OR (CASE WHEN $5::boolean THEN left(action, length($4)) = $4 "
      "                 ELSE action = $4 END)) "
      "AND ($6 = '' OR target = $6) "
      "AND ($7::timestamptz IS NULL OR (at, id) < ($7::timestamptz, $8::bigint)) "
      "ORDER BY at DESC, id DESC LIMIT $9::int",
      params);
  if (!r.ok()) {
    return r.error();
  }
  std::vector<AuditRow> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    AuditRow row;
    row.id = r->int64(i, 0);
    row.at = store::fromEpochMicros(r->get(i, 1));
    row.actor = r->str(i, 2);
    row.action = r->str(i, 3);
    row.target = r->str(i, 4);
    row.parameters_json = r->str(i, 5);
    row.outcome = r->str(i, 6);
    out.push_back(std::move(row));
  }
  return out;
}

Result<std::vector<AuditRow>> PgAuditReader::query(const AuditQuery& q) {
  auto lease = pool_.acquire(std::chrono::seconds{5});
  if (!lease.ok()) {
    return lease.error();
  }
  return queryAudit(lease->conn(), q);
}

}  // namespace vitals::hub::audit
