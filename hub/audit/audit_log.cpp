#include "hub/audit/audit_log.hpp"

#include "common/time/clock.hpp"

namespace vitals::hub::audit {

Result<std::int64_t> append(store::PgConnection& conn, const AuditEntry& entry,
                            std::chrono::system_clock::time_point at) {
  auto r = conn.exec(
      "INSERT INTO audit_log (at, actor, action, target, parameters, outcome) "
      "VALUES ($1::timestamptz, $2, $3, $4, $5::jsonb, $6) RETURNING id",
      {formatRfc3339(at), entry.actor, entry.action, entry.target,
       entry.parameters_json.empty() ? std::string("{}") : entry.parameters_json, entry.outcome});
  if (!r.ok()) {
    return r.error();
  }
  return r->int64(0, 0);
}

}  // namespace vitals::hub::audit
