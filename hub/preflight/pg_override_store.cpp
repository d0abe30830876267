#include "hub/preflight/pg_override_store.hpp"

#include <nlohmann/json.hpp>

#include "hub/audit/audit_log.hpp"

namespace vitals::hub::preflight {
namespace {

constexpr std::chrono::milliseconds kPoolWait{2000};
constexpr const char* kColumns = "id, check_name, reason, created_by, " VITALS_EPOCH_US(
    "created_at") ", " VITALS_EPOCH_US("expires_at");

Override rowToOverride(const store::PgResult& r, int i) {
  Override o;
  o.id = r.int64(i, 0);
  o.check = r.str(i, 1);
  o.reason = r.str(i, 2);
  o.created_by = r.str(i, 3);
  o.created_at = store::fromEpochMicros(r.get(i, 4));
  o.expires_at = store::fromEpochMicros(r.get(i, 5));
  return o;
}

}  // namespace

Result<Override> PgOverrideStore::create(const NewOverride& o, SystemTime now) {
  return store::inTransaction(pool_, kPoolWait, [&](store::PgConnection& conn) -> Result<Override> {
    auto r = conn.exec(
        std::string("INSERT INTO preflight_overrides (check_name, reason, "
                    "created_by, created_at, expires_at) VALUES ($1, $2, $3, "
                    "$4::timestamptz, $5::timestamptz) RETURNING ") +
            kColumns,
        {o.check, o.reason, o.actor, store::pgTimestamp(now), store::pgTimestamp(o.expires_at)});
    if (!r.ok()) {
      return r.error();
    }
    Override out = rowToOverride(*r, 0);
    const nlohmann::json params = {{"override_id", out.id},
                                   {"check", o.check},
                                   {"reason", o.reason},
                                   {"expires_at", formatRfc3339(o.expires_at)}};
    auto a = audit::append(
        conn, {o.actor, "preflight.override.create", "preflight:" + o.check, params.dump(), "ok"},
        now);
    if (!a.ok()) {
      return a.error();
    }
    return out;
  });
}

Result<std::vector<Override>> PgOverrideStore::active(SystemTime now) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(std::string("SELECT ") + kColumns +
                                  " FROM preflight_overrides WHERE revoked_at IS NULL AND "
                                  "expires_at > $1::timestamptz ORDER BY id",
                              {store::pgTimestamp(now)});
  if (!r.ok()) {
    return r.error();
  }
  std::vector<Override> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(rowToOverride(*r, i));
  }
  return out;
}

Result<bool> PgOverrideStore::revoke(std::int64_t id, const std::string& actor, SystemTime now) {
  return store::inTransaction(pool_, kPoolWait, [&](store::PgConnection& conn) -> Result<bool> {
    auto r = conn.exec(
        "UPDATE preflight_overrides SET revoked_at = $2::timestamptz, revoked_by = $3 "
        "WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2::timestamptz "
        "RETURNING check_name",
        {std::to_string(id), store::pgTimestamp(now), actor});
    if (!r.ok()) {
      return r.error();
    }
    if (r->rows() == 0) {
      return false;
    }
    const nlohmann::json params = {{"override_id", id}};
    auto a = audit::append(
        conn,
        {actor, "preflight.override.delete", "preflight:" + r->str(0, 0), params.dump(), "ok"},
        now);
    if (!a.ok()) {
      return a.error();
    }
    return true;
  });
}

Status PgOverrideStore::auditRun(const std::string& actor, bool ready, SystemTime now) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto a = audit::append(lease->conn(),
                         {actor, "preflight.run", "preflight", "{}", ready ? "ready" : "not-ready"},
                         now);
  if (!a.ok()) {
    return a.error();
  }
  return okStatus();
}

Result<std::vector<int>> appliedMigrations(store::PgPool& pool) {
  auto lease = pool.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec("SELECT version FROM schema_migrations ORDER BY version");
  if (!r.ok()) {
    return r.error();
  }
  std::vector<int> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(static_cast<int>(r->int64(i, 0)));
  }
  return out;
}

}  // namespace vitals::hub::preflight
