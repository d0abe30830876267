// PgRepairStore: policies, the inputs of a decision, and reads.
#include <nlohmann/json.hpp>

#include "hub/audit/audit_log.hpp"
#include "hub/repair/pg_repair_rows.hpp"
#include "hub/repair/pg_repair_store.hpp"

namespace vitals::hub::repair {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using store::PgConnection;
using store::PgResult;
using namespace pgrows;

// Rolls back unless committed: every early return leaves the connection clean.
using Tx = store::PgTransaction;

}  // namespace

// ---- policies ----

Result<std::optional<RepairPolicy>> PgRepairStore::policy(PgConnection& c,
                                                          const std::string& service) {
  auto r =
      c.exec(std::string("SELECT ") + kPolicyColumns + " FROM health_policies WHERE service = $1",
             {service});
  if (!r.ok()) {
    return r.error();
  }
  if (r->rows() == 0) {
    return std::optional<RepairPolicy>{};
  }
  return std::optional<RepairPolicy>{policyAt(*r, 0)};
}

Result<std::vector<RepairPolicy>> PgRepairStore::policies(PgConnection& c) {
  auto r =
      c.exec(std::string("SELECT ") + kPolicyColumns + " FROM health_policies ORDER BY service");
  if (!r.ok()) {
    return r.error();
  }
  std::vector<RepairPolicy> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(policyAt(*r, i));
  }
  return out;
}

Result<bool> PgRepairStore::putPolicy(PgConnection& c, const RepairPolicy& p,
                                      const std::string& actor) {
  const SystemTime now = clock_.now();
  Tx tx(c);
  if (auto s = tx.begin(); !s.ok()) {
    return s.error();
  }
  auto r = c.exec(
      "INSERT INTO health_policies (service, enabled, dry_run, require_approval, actions, "
      "restart_action, max_attempts, cooldown_ms, circuit_breaker, verify_after_ms, "
      "breaker_reset_at, created_at, updated_at, updated_by) "
      "VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $11, $11, $12) "
      "ON CONFLICT (service) DO UPDATE SET enabled = EXCLUDED.enabled, "
      "dry_run = EXCLUDED.dry_run, require_approval = EXCLUDED.require_approval, "
      "actions = EXCLUDED.actions, restart_action = EXCLUDED.restart_action, "
      "max_attempts = EXCLUDED.max_attempts, cooldown_ms = EXCLUDED.cooldown_ms, "
      "circuit_breaker = EXCLUDED.circuit_breaker, verify_after_ms = EXCLUDED.verify_after_ms, "
      "breaker_reset_at = EXCLUDED.breaker_reset_at, updated_at = EXCLUDED.updated_at, "
      "updated_by = EXCLUDED.updated_by "
      "RETURNING (xmax = 0)",
      {p.service, p.enabled ? "true" : "false", p.dry_run ? "true" : "false",
       p.require_approval ? "true" : "false", actionsJson(p), p.restart_action,
       std::to_string(p.max_attempts), std::to_string(p.cooldown.count()),
       std::to_string(p.circuit_breaker), std::to_string(p.verify_after.count()),
       store::pgTimestamp(now), actor});
  if (!r.ok()) {
    return r.error();
  }
  const bool created = r->rows() == 1 && r->boolean(0, 0);
  json params = toJson(p);
  params.erase("updated_at");
  params.erase("updated_by");
  params.erase("breaker_reset_at");
  auto a = audit::append(c,
                         {actor, "repair.policy.update", "service:" + p.service, dump(params),
                          created ? "created" : "updated"},
                         now);
  if (!a.ok()) {
    return a.error();
  }
  if (auto s = tx.commit(); !s.ok()) {
    return s.error();
  }
  return created;
}

Result<int> PgRepairStore::createDefaultPolicies(PgConnection& c, const RepairPolicy& t) {
  const SystemTime now = clock_.now();
  Tx tx(c);
  if (auto s = tx.begin(); !s.ok()) {
    return s.error();
  }
  auto r = c.exec(
      "INSERT INTO health_policies (service, enabled, dry_run, require_approval, actions, "
      "restart_action, max_attempts, cooldown_ms, circuit_breaker, verify_after_ms, "
      "created_at, updated_at, updated_by) "
      "SELECT s.service, $1, $2, $3, jsonb_build_object('timeout', 'restart-' || s.service, "
      "'refused', 'restart-' || s.service, 'crashed', CASE WHEN s.has_rebuild "
      "THEN 'rebuild-' || s.service ELSE 'restart-' || s.service END), "
      "'restart-' || s.service, $4, $5, $6, $7, $8, $8, 'system' "
      "FROM (SELECT c.service, bool_or(a.actions ? ('rebuild-' || c.service)) AS has_rebuild "
      "      FROM checks c JOIN agents a ON a.agent_id = c.agent_id "
      "      WHERE a.actions ? ('restart-' || c.service) GROUP BY c.service) s "
      "ORDER BY 1 ON CONFLICT (service) DO NOTHING RETURNING service",
      {t.enabled ? "true" : "false", t.dry_run ? "true" : "false",
       t.require_approval ? "true" : "false", std::to_string(t.max_attempts),
       std::to_string(t.cooldown.count()), std::to_string(t.circuit_breaker),
       std::to_string(t.verify_after.count()), store::pgTimestamp(now)});
  if (!r.ok()) {
    return r.error();
  }
  for (int i = 0; i < r->rows(); ++i) {
    auto a = audit::append(c,
                           {"system", "repair.policy.default", "service:" + r->str(i, 0),
                            dump({{"enabled", t.enabled},
                                  {"dry_run", t.dry_run},
                                  {"require_approval", t.require_approval}}),
                            "created"},
                           now);
    if (!a.ok()) {
      return a.error();
    }
  }
  if (auto s = tx.commit(); !s.ok()) {
    return s.error();
  }
  return r->rows();
}

// ---- inputs ----

Result<std::vector<std::string>> PgRepairStore::agentActions(PgConnection& c,
                                                             const std::string& agent) {
  auto r =
      c.exec("SELECT jsonb_array_elements_text(actions) FROM agents WHERE agent_id = $1 ORDER BY 1",
             {agent});
  if (!r.ok()) {
    return r.error();
  }
  return r->strings(0);
}

Result<std::vector<std::string>> PgRepairStore::agentsOffering(PgConnection& c,
                                                               const std::string& service,
                                                               const std::string& action) {
  auto r = c.exec(
      "SELECT DISTINCT a.agent_id FROM agents a JOIN checks c ON c.agent_id = a.agent_id "
      "WHERE c.service = $1 AND a.actions ? $2 ORDER BY 1",
      {service, action});
  if (!r.ok()) {
    return r.error();
  }
  return r->strings(0);
}

Result<std::vector<std::string>> PgRepairStore::agentsOfService(PgConnection& c,
                                                                const std::string& service) {
  auto r = c.exec("SELECT DISTINCT agent_id FROM checks WHERE service = $1 ORDER BY 1", {service});
  if (!r.ok()) {
    return r.error();
  }
  return r->strings(0);
}

Result<RepairHistory> PgRepairStore::history(PgConnection& c, const std::string& service,
                                             const std::string& incident, const std::string& agent,
                                             const std::string& action,
                                             std::optional<SystemTime> breaker_reset_at) {
  auto r = c.exec(
      "SELECT "
      "(SELECT count(*) FROM auto_repairs WHERE incident = $1 AND incident <> '' AND "
      "   status IN ('approved', 'running', 'succeeded', 'failed')), "
      "(SELECT count(*) FROM auto_repairs WHERE incident = $1 AND incident <> '' AND "
      "   status = 'pending'), "
      "(SELECT count(*) FROM auto_repairs WHERE incident = $1 AND incident <> '' AND "
      "   status = 'escalated'), "
      "(SELECT " VITALS_EPOCH_US("last_started_at") " FROM action_guard "
      "   WHERE agent_id = $2 AND action = $3), "
      "(SELECT count(*) FROM auto_repairs WHERE started_at > clock_timestamp() - $4::interval)",
      {incident, agent, action, interval(settings_.rate_window)});
  if (!r.ok()) {
    return r.error();
  }
  RepairHistory h;
  h.incident_attempts = static_cast<int>(r->int64(0, 0));
  h.incident_pending = r->int64(0, 1) > 0;
  h.incident_escalated = r->int64(0, 2) > 0;
  h.last_execution = timeAt(*r, 0, 3);
  h.executions_in_window = static_cast<int>(r->int64(0, 4));
  store::PgParams params{service};
  params.push_back(breaker_reset_at
                       ? std::optional<std::string>(store::pgTimestamp(*breaker_reset_at))
                       : std::nullopt);
  auto f = c.exec(
      "SELECT status = 'failed' OR verified IS FALSE FROM auto_repairs "
      "WHERE service = $1 AND status IN ('succeeded', 'failed') "
      "AND ($2::timestamptz IS NULL OR started_at > $2::timestamptz) "
      "ORDER BY id DESC LIMIT 101",
      params);
  if (!f.ok()) {
    return f.error();
  }
  for (int i = 0; i < f->rows() && f->boolean(i, 0); ++i) {
    ++h.consecutive_failures;
  }
  return h;
}

// ---- reading ----

Result<std::vector<RepairRecord>> PgRepairStore::list(PgConnection& c, const RepairFilter& f) {
  store::PgParams params{f.status, f.service, std::to_string(f.before_id), std::to_string(f.limit)};
  auto r = c.exec(std::string("SELECT ") + kRecordColumns +
                      " FROM auto_repairs WHERE ($1 = '' OR status = $1) "
                      "AND ($2 = '' OR service = $2) AND ($3::bigint = 0 OR id < $3::bigint) "
                      "ORDER BY id DESC LIMIT $4::int",
                  params);
  if (!r.ok()) {
    return r.error();
  }
  std::vector<RepairRecord> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(recordAt(*r, i));
  }
  return out;
}

Result<std::optional<RepairRecord>> PgRepairStore::get(PgConnection& c, std::int64_t id) {
  auto r = c.exec(std::string("SELECT ") + kRecordColumns + " FROM auto_repairs WHERE id = $1",
                  {std::to_string(id)});
  if (!r.ok()) {
    return r.error();
  }
  if (r->rows() == 0) {
    return std::optional<RepairRecord>{};
  }
  return std::optional<RepairRecord>{recordAt(*r, 0)};
}

bool PgRepairSession::usable() { return conn_.ok() || conn_.reset().ok(); }

std::function<Result<std::unique_ptr<RepairStore>>()> pgRepairSessions(
    PgRepairStore& store, std::function<Result<std::unique_ptr<store::PgConnection>>()> connect) {
  return [&store, connect = std::move(connect)]() -> Result<std::unique_ptr<RepairStore>> {
    auto c = connect();
    if (!c.ok()) {
      return c.error();
    }
    return std::unique_ptr<RepairStore>(
        std::make_unique<PgRepairSession>(store, std::move(c.value())));
  };
}

}  // namespace vitals::hub::repair
