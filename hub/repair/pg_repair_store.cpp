#include "hub/repair/pg_repair_store.hpp"

#include <nlohmann/json.hpp>

#include "hub/audit/audit_log.hpp"
#include "hub/notify/outbox.hpp"

namespace vitals::hub::repair {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using store::PgConnection;
using store::PgResult;

// Serialises the rate-limit count of executions across hubs (transaction-scoped).
constexpr const char* kRateLockKey = "7310006";

constexpr const char* kRecordColumns =
    "id, service, agent_id, action, incident, trigger, coalesce(failure_class, ''), decision, "
    "reasons::text, status, requested_by, coalesce(decided_by, ''), coalesce(request_id, ''), "
    "coalesce(outcome, ''), exit_code, duration_ms, coalesce(output, ''), "
    "coalesce(output_truncated, false), coalesce(error, ''), verified, "
    "coalesce(verify_message, ''), coalesce(verify_after_ms, 0), "
    "" VITALS_EPOCH_US("created_at") ", " VITALS_EPOCH_US("decided_at") ", "
    "" VITALS_EPOCH_US("expires_at") ", " VITALS_EPOCH_US("started_at") ", "
    "" VITALS_EPOCH_US("finished_at") ", " VITALS_EPOCH_US("verified_at") ", "
    "params::text";

constexpr const char* kPolicyColumns =
    "service, enabled, dry_run, require_approval, actions::text, restart_action, max_attempts, "
    "cooldown_ms, circuit_breaker, verify_after_ms, "
    "" VITALS_EPOCH_US("breaker_reset_at") ", " VITALS_EPOCH_US("updated_at") ", "
    "updated_by";

// Rolls back unless committed: every early return leaves the connection clean.
using Tx = store::PgTransaction;

std::optional<SystemTime> timeAt(const PgResult& r, int row, int col) {
  if (r.isNull(row, col)) {
    return std::nullopt;
  }
  return store::fromEpochMicros(r.get(row, col));
}

std::string interval(milliseconds d) { return std::to_string(d.count()) + " milliseconds"; }

std::string reasonsJson(const std::vector<std::string>& reasons) {
  json j = json::array();
  for (const auto& r : reasons) {
    j.push_back(r);
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string paramsJson(const std::map<std::string, std::string>& params) {
  json j = json::object();
  for (const auto& [k, v] : params) {
    j[k] = v;
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string actionsJson(const RepairPolicy& p) {
  json j = json::object();
  for (const auto& [cls, name] : p.actions) {
    j[std::string(toString(cls))] = name;
  }
  return j.dump();
}

std::string statusOf(Verdict v) {
  switch (v) {
    case Verdict::Skip:
      return "skipped";
    case Verdict::Escalate:
      return "escalated";
    case Verdict::DryRun:
      return "dry-run";
    case Verdict::PendingApproval:
      return "pending";
    case Verdict::Execute:
      return "running";
    case Verdict::None:
      break;
  }
  return "skipped";
}

// Untrusted output in a text column: valid within PostgreSQL (no NUL), capped.
std::string capped(const std::string& text, std::size_t max, bool& truncated) {
  std::string out;
  out.reserve(std::min(text.size(), max));
  for (char ch : text) {
    if (out.size() >= max) {
      truncated = true;
      break;
    }
    if (ch != '\0') {
      out += ch;
    }
  }
  // Do not cut a UTF-8 sequence in half (the column is text).
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) {
    out.pop_back();
  }
  if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0xC0) {
    out.pop_back();
  }
  return out;
}

RepairRecord recordAt(const PgResult& r, int i) {
  RepairRecord x;
  x.id = r.int64(i, 0);
  x.service = r.str(i, 1);
  x.agent = r.str(i, 2);
  x.action = r.str(i, 3);
  x.incident = r.str(i, 4);
  x.trigger = r.str(i, 5);
  x.failure_class = r.str(i, 6);
  x.decision = r.str(i, 7);
  const json reasons = json::parse(r.get(i, 8), nullptr, false);
  if (reasons.is_array()) {
    for (const auto& s : reasons) {
      if (s.is_string()) {
        x.reasons.push_back(s.get<std::string>());
      }
    }
  }
  x.status = r.str(i, 9);
  x.requested_by = r.str(i, 10);
  x.decided_by = r.str(i, 11);
  x.request_id = r.str(i, 12);
  x.outcome = r.str(i, 13);
  if (!r.isNull(i, 14)) {
    x.exit_code = static_cast<int>(r.int64(i, 14));
  }
  if (!r.isNull(i, 15)) {
    x.duration_ms = r.int64(i, 15);
  }
  x.output = r.str(i, 16);
  x.output_truncated = r.boolean(i, 17);
  x.error = r.str(i, 18);
  if (!r.isNull(i, 19)) {
    x.verified = r.boolean(i, 19);
  }
  x.verify_message = r.str(i, 20);
  x.verify_after_ms = r.int64(i, 21);
  x.created_at = timeAt(r, i, 22);
  x.decided_at = timeAt(r, i, 23);
  x.expires_at = timeAt(r, i, 24);
  x.started_at = timeAt(r, i, 25);
  x.finished_at = timeAt(r, i, 26);
  x.verified_at = timeAt(r, i, 27);
  const json params = json::parse(r.get(i, 28), nullptr, false);
  if (params.is_object()) {
    for (const auto& [k, v] : params.items()) {
      if (v.is_string()) {
        x.params[k] = v.get<std::string>();
      }
    }
  }
  return x;
}

RepairPolicy policyAt(const PgResult& r, int i) {
  RepairPolicy p;
  p.service = r.str(i, 0);
  p.enabled = r.boolean(i, 1);
  p.dry_run = r.boolean(i, 2);
  p.require_approval = r.boolean(i, 3);
  const json actions = json::parse(r.get(i, 4), nullptr, false);
  if (actions.is_object()) {
    for (const auto& [k, v] : actions.items()) {
      auto cls = parseFailureClass(k);
      if (cls && v.is_string()) {
        p.actions[*cls] = v.get<std::string>();
      }
    }
  }
  p.restart_action = r.str(i, 5);
  p.max_attempts = static_cast<int>(r.int64(i, 6));
  p.cooldown = milliseconds{r.int64(i, 7)};
  p.circuit_breaker = static_cast<int>(r.int64(i, 8));
  p.verify_after = milliseconds{r.int64(i, 9)};
  p.breaker_reset_at = timeAt(r, i, 10);
  p.updated_at = timeAt(r, i, 11);
  p.updated_by = r.str(i, 12);
  return p;
}

json auditParams(std::int64_t id, const NewRepair& n, const std::string& request_id = "") {
  json j = {{"repair_id", id},
            {"service", n.service},
            {"agent", n.agent},
            {"action", n.action},
            {"incident", n.incident},
            {"trigger", std::string(toString(n.trigger))},
            {"requested_by", n.requested_by}};
  if (!request_id.empty()) {
    j["request_id"] = request_id;
  }
  if (!n.params.empty()) {
    j["params"] = n.params;
  }
  return j;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string target(const std::string& agent, const std::string& action) {
  return "agent:" + agent + "/action:" + action;
}

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

// ---- recording and executing ----

Status PgRepairStore::notify(PgConnection& c, std::int64_t id, const std::string& service,
                             const std::string& event, const std::string& summary,
                             const std::string& status_now) {
  notify::Outbox outbox(clock_);
  for (const auto& channel : settings_.notify_channels) {
    notify::Notification n;
    n.incident = "repair-" + std::to_string(id);
    n.transition = event;
    n.channel = channel;
    n.service = service;
    n.from_status = status_now;
    n.to_status = status_now;
    n.summary = summary;
    n.at = clock_.now();
    auto r = outbox.enqueue(c, n);
    if (!r.ok()) {
      return r.error();
    }
  }
  return okStatus();
}

Result<std::int64_t> PgRepairStore::record(PgConnection& c, const NewRepair& n,
                                           const std::string& status_now) {
  const SystemTime now = clock_.now();
  const std::string status = statusOf(n.verdict);
  Tx tx(c);
  if (auto s = tx.begin(); !s.ok()) {
    return s.error();
  }
  store::PgParams params{
      n.service,
      n.agent,
      n.action,
      n.incident,
      std::string(toString(n.trigger)),
      n.failure_class ? std::optional<std::string>(std::string(toString(*n.failure_class)))
                      : std::nullopt,
      std::string(toString(n.verdict)),
      reasonsJson(n.reasons),
      status,
      n.requested_by,
      store::pgTimestamp(now),
      n.verdict == Verdict::PendingApproval
          ? std::optional<std::string>(store::pgTimestamp(now + settings_.approval_expiry))
          : std::nullopt,
      std::to_string(n.cooldown.count()),
      std::to_string(n.verify_after.count()),
      paramsJson(n.params)};
  auto r = c.exec(
      "INSERT INTO auto_repairs (service, agent_id, action, incident, trigger, failure_class, "
      "decision, reasons, status, requested_by, created_at, expires_at, cooldown_ms, "
      "verify_after_ms, params) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, "
      "$13, $14, $15::jsonb) RETURNING id",
      params);
  if (!r.ok()) {
    return r.error();
  }
  const std::int64_t id = r->int64(0, 0);
  json p = auditParams(id, n);
  p["reasons"] = n.reasons;
  const std::string verb = n.verdict == Verdict::PendingApproval ? "repair.request-approval"
                           : n.verdict == Verdict::Escalate      ? "repair.escalate"
                           : n.verdict == Verdict::DryRun        ? "repair.dry-run"
                                                                 : "repair.skip";
  auto a =
      audit::append(c, {n.requested_by, verb, target(n.agent, n.action), dump(p), status}, now);
  if (!a.ok()) {
    return a.error();
  }
  if (n.verdict == Verdict::Escalate) {
    if (auto s = notify(c, id, n.service, "repair-escalated",
                        "auto-repair gave up on " + n.service + ": " +
                            (n.reasons.empty() ? std::string() : n.reasons.back()) +
                            " - a human must look",
                        status_now);
        !s.ok()) {
      return s.error();
    }
  } else if (n.verdict == Verdict::PendingApproval) {
    if (auto s = notify(c, id, n.service, "repair-approval-requested",
                        "repair #" + std::to_string(id) + " of " + n.service + " (" + n.action +
                            " on " + n.agent + ") waits for approval",
                        status_now);
        !s.ok()) {
      return s.error();
    }
  }
  if (auto s = tx.commit(); !s.ok()) {
    return s.error();
  }
  return id;
}

// Inside the caller's transaction: the rate limit, the guard row and the audit row. Refused when
// either limit holds (the caller rolls back).
Result<Start> PgRepairStore::guardAndAudit(PgConnection& c, std::int64_t id, const NewRepair& n) {
  Start st;
  st.repair_id = id;
  st.request_id = "repair-" + std::to_string(id);
  if (auto l = c.exec(std::string("SELECT pg_advisory_xact_lock(") + kRateLockKey + ")"); !l.ok()) {
    return l.error();
  }
  auto rate = c.exec(
      "SELECT count(*) FROM auto_repairs WHERE id <> $1 AND "
      "started_at > clock_timestamp() - $2::interval",
      {std::to_string(id), interval(settings_.rate_window)});
  if (!rate.ok()) {
    return rate.error();
  }
  if (rate->int64(0, 0) >= settings_.rate_limit) {
    st.result = Start::Result::Refused;
    st.reason = "global rate limit (database guard): " + std::to_string(rate->int64(0, 0)) +
                " executions in the window (limit " + std::to_string(settings_.rate_limit) + ")";
    return st;
  }
  // The one cooldown of every action the hub asks an agent to run, by the database clock.
  auto g = c.exec(
      "INSERT INTO action_guard AS g (agent_id, action, last_started_at, request_id, repair_id) "
      "VALUES ($1, $2, clock_timestamp(), $3, $4) "
      "ON CONFLICT (agent_id, action) DO UPDATE SET last_started_at = EXCLUDED.last_started_at, "
      "request_id = EXCLUDED.request_id, repair_id = EXCLUDED.repair_id "
      "WHERE g.last_started_at <= EXCLUDED.last_started_at - $5::interval "
      "RETURNING repair_id",
      {n.agent, n.action, st.request_id, std::to_string(id), interval(n.cooldown)});
  if (!g.ok()) {
    return g.error();
  }
  if (g->rows() == 0) {
    auto last = c.exec(
        "SELECT CASE WHEN repair_id IS NULL THEN request_id ELSE 'repair #' || repair_id END, "
        "" VITALS_EPOCH_US("last_started_at") " FROM action_guard "
        "WHERE agent_id = $1 AND action = $2",
        {n.agent, n.action});
    st.result = Start::Result::Refused;
    st.reason = "cooldown (database guard): " + n.action + " on " + n.agent + " started";
    if (last.ok() && last->rows() == 1) {
      st.reason += " by " + last->str(0, 0) + " at " +
                   formatRfc3339(store::fromEpochMicros(last->get(0, 1)));
    }
    st.reason += "; cooldown " + std::to_string(n.cooldown.count() / 1000) + "s";
    return st;
  }
  auto a = audit::append(c,
                         {n.requested_by, "repair.execute", target(n.agent, n.action),
                          dump(auditParams(id, n, st.request_id)), "started"},
                         clock_.now());
  if (!a.ok()) {
    return a.error();
  }
  st.result = Start::Result::Started;
  return st;
}

Result<Start> PgRepairStore::startNew(PgConnection& c, const NewRepair& n) {
  const SystemTime now = clock_.now();
  Start st;
  {
    Tx tx(c);
    if (auto s = tx.begin(); !s.ok()) {
      return s.error();
    }
    auto idr = c.exec("SELECT nextval(pg_get_serial_sequence('auto_repairs', 'id'))");
    if (!idr.ok()) {
      return idr.error();
    }
    const std::int64_t id = idr->int64(0, 0);
    store::PgParams params{std::to_string(id),
                           n.service,
                           n.agent,
                           n.action,
                           n.incident,
                           std::string(toString(n.trigger)),
                           n.failure_class
                               ? std::optional<std::string>(std::string(toString(*n.failure_class)))
                               : std::nullopt,
                           reasonsJson(n.reasons),
                           n.requested_by,
                           store::pgTimestamp(now),
                           "repair-" + std::to_string(id),
                           std::to_string(n.cooldown.count()),
                           std::to_string(n.verify_after.count()),
                           paramsJson(n.params)};
    auto ins = c.exec(
        "INSERT INTO auto_repairs (id, service, agent_id, action, incident, trigger, "
        "failure_class, decision, reasons, status, requested_by, created_at, started_at, "
        "request_id, cooldown_ms, verify_after_ms, params) VALUES ($1, $2, $3, $4, $5, $6, $7, "
        "'execute', $8::jsonb, 'running', $9, $10, clock_timestamp(), $11, $12, $13, $14::jsonb)",
        params);
    if (!ins.ok()) {
      return ins.error();
    }
    auto g = guardAndAudit(c, id, n);
    if (!g.ok()) {
      return g.error();
    }
    st = g.value();
    if (st.result == Start::Result::Started) {
      if (auto s = tx.commit(); !s.ok()) {
        return s.error();
      }
      return st;
    }
  }
  // Refused by the guard: nothing runs; the decision is recorded as skipped with the reason.
  NewRepair skipped = n;
  skipped.verdict = Verdict::Skip;
  skipped.reasons.push_back(st.reason);
  auto id = record(c, skipped, "");
  if (!id.ok()) {
    return id.error();
  }
  st.repair_id = id.value();
  st.request_id.clear();
  return st;
}

Result<Start> PgRepairStore::startApproved(PgConnection& c, std::int64_t id) {
  Start st;
  st.repair_id = id;
  {
    Tx tx(c);
    if (auto s = tx.begin(); !s.ok()) {
      return s.error();
    }
    auto u = c.exec(
        "UPDATE auto_repairs SET status = 'running', started_at = clock_timestamp(), "
        "request_id = 'repair-' || id WHERE id = $1 AND status = 'approved' "
        "RETURNING service, agent_id, action, incident, trigger, requested_by, "
        "coalesce(cooldown_ms, 0), coalesce(verify_after_ms, 0), coalesce(decided_by, ''), "
        "params::text",
        {std::to_string(id)});
    if (!u.ok()) {
      return u.error();
    }
    if (u->rows() == 0) {
      st.result = Start::Result::Gone;
      st.reason = "not approved (any more)";
      return st;
    }
    NewRepair n;
    n.service = u->str(0, 0);
    n.agent = u->str(0, 1);
    n.action = u->str(0, 2);
    n.incident = u->str(0, 3);
    const std::string trig = u->str(0, 4);
    n.trigger = parseTrigger(trig).value_or(Trigger::Transition);
    const json params = json::parse(u->get(0, 9), nullptr, false);
    if (params.is_object()) {
      for (const auto& [k, v] : params.items()) {
        if (v.is_string()) {
          n.params[k] = v.get<std::string>();
        }
      }
    }
    // The approver is who let it run; the requester is in the parameters.
    n.requested_by = u->str(0, 8).empty() ? u->str(0, 5) : u->str(0, 8);
    n.cooldown = milliseconds{u->int64(0, 6)};
    n.verify_after = milliseconds{u->int64(0, 7)};
    auto g = guardAndAudit(c, id, n);
    if (!g.ok()) {
      return g.error();
    }
    st = g.value();
    if (st.result == Start::Result::Started) {
      if (auto s = tx.commit(); !s.ok()) {
        return s.error();
      }
      return st;
    }
  }
  auto reasons = c.exec(
      "UPDATE auto_repairs SET status = 'skipped', error = $2, "
      "reasons = reasons || jsonb_build_array($2::text) WHERE id = $1 AND status = 'approved'",
      {std::to_string(id), st.reason});
  if (!reasons.ok()) {
    return reasons.error();
  }
  return st;
}

Result<std::vector<std::int64_t>> PgRepairStore::approvedIds(PgConnection& c) {
  auto r = c.exec("SELECT id FROM auto_repairs WHERE status = 'approved' ORDER BY id");
  if (!r.ok()) {
    return r.error();
  }
  std::vector<std::int64_t> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(r->int64(i, 0));
  }
  return out;
}

Status PgRepairStore::finish(PgConnection& c, std::int64_t id, const ExecutionResult& x) {
  const SystemTime now = clock_.now();
  const bool ok =
      (x.outcome == "ok" || x.outcome == "duplicate") && x.exit_code == 0 && x.error.empty();
  const std::string status = ok ? "succeeded" : "failed";
  bool truncated = x.output_truncated;
  const std::string output = capped(x.output, settings_.max_output, truncated);
  bool error_cut = false;
  const std::string error = capped(x.error, 2000, error_cut);
  Tx tx(c);
  if (auto s = tx.begin(); !s.ok()) {
    return s;
  }
  auto u = c.exec(
      "UPDATE auto_repairs SET status = $2, finished_at = $3, outcome = $4, exit_code = $5, "
      "duration_ms = $6, output = $7, output_truncated = $8, error = $9 WHERE id = $1 "
      "RETURNING agent_id, action, requested_by, service",
      {std::to_string(id), status, store::pgTimestamp(now), x.outcome, std::to_string(x.exit_code),
       std::to_string(x.duration_ms), output, truncated ? "true" : "false",
       error.empty() ? std::nullopt : std::optional<std::string>(error)});
  if (!u.ok()) {
    return u.error();
  }
  if (u->rows() == 1) {
    auto a = audit::append(c,
                           {"policy", "repair.finish", target(u->str(0, 0), u->str(0, 1)),
                            dump({{"repair_id", id},
                                  {"service", u->str(0, 3)},
                                  {"outcome", x.outcome},
                                  {"exit_code", x.exit_code},
                                  {"duration_ms", x.duration_ms}}),
                            status},
                           now);
    if (!a.ok()) {
      return a.error();
    }
  }
  return tx.commit();
}

Status PgRepairStore::recordDryRunReply(PgConnection& c, std::int64_t id,
                                        const ExecutionResult& x) {
  bool truncated = x.output_truncated;
  const std::string output = capped(x.output, settings_.max_output, truncated);
  bool cut = false;
  const std::string error = capped(x.error, 2000, cut);
  auto u = c.exec(
      "UPDATE auto_repairs SET outcome = $2, output = $3, output_truncated = $4, error = $5 "
      "WHERE id = $1 AND status = 'dry-run'",
      {std::to_string(id), x.outcome, output, truncated ? "true" : "false",
       error.empty() ? std::nullopt : std::optional<std::string>(error)});
  if (!u.ok()) {
    return u.error();
  }
  return okStatus();
}

Status PgRepairStore::recordVerification(PgConnection& c, std::int64_t id, bool fixed,
                                         const std::string& message) {
  bool cut = false;
  auto u = c.exec(
      "UPDATE auto_repairs SET verified = $2, verified_at = $3, verify_message = $4 "
      "WHERE id = $1",
      {std::to_string(id), fixed ? "true" : "false", store::pgTimestamp(clock_.now()),
       capped(message, 2000, cut)});
  if (!u.ok()) {
    return u.error();
  }
  return okStatus();
}

Result<int> PgRepairStore::failOrphans(PgConnection& c, milliseconds older_than) {
  auto u = c.exec(
      "UPDATE auto_repairs SET status = 'failed', outcome = 'no-reply', finished_at = $2, "
      "error = 'no reply recorded: the hub that started it stopped or lost the reply' "
      "WHERE status = 'running' AND started_at < clock_timestamp() - $1::interval",
      {interval(older_than), store::pgTimestamp(clock_.now())});
  if (!u.ok()) {
    return u.error();
  }
  return static_cast<int>(u->affected());
}

// ---- approvals ----

Result<ApprovalOutcome> PgRepairStore::decideApproval(PgConnection& c, std::int64_t id,
                                                      bool approve, const std::string& actor,
                                                      std::string& status) {
  const SystemTime now = clock_.now();
  Tx tx(c);
  if (auto s = tx.begin(); !s.ok()) {
    return s.error();
  }
  // Exactly one concurrent caller matches status = 'pending'; the others see the new status.
  auto u = c.exec(
      "UPDATE auto_repairs SET status = $2, decided_by = $3, decided_at = $4 "
      "WHERE id = $1 AND status = 'pending' AND expires_at > clock_timestamp() "
      "RETURNING service, agent_id, action",
      {std::to_string(id), approve ? "approved" : "rejected", actor, store::pgTimestamp(now)});
  if (!u.ok()) {
    return u.error();
  }
  if (u->rows() == 0) {
    tx.rollback();
    auto cur =
        c.exec("SELECT status, expires_at <= clock_timestamp() FROM auto_repairs WHERE id = $1",
               {std::to_string(id)});
    if (!cur.ok()) {
      return cur.error();
    }
    if (cur->rows() == 0) {
      return ApprovalOutcome::NotFound;
    }
    status = cur->str(0, 0);
    if (status == "pending" && cur->boolean(0, 1)) {
      status = "expired";
      return ApprovalOutcome::Expired;
    }
    return ApprovalOutcome::NotPending;
  }
  status = approve ? "approved" : "rejected";
  auto a = audit::append(
      c,
      {actor, approve ? "repair.approve" : "repair.reject", target(u->str(0, 1), u->str(0, 2)),
       dump({{"repair_id", id}, {"service", u->str(0, 0)}}), status},
      now);
  if (!a.ok()) {
    return a.error();
  }
  if (auto s = tx.commit(); !s.ok()) {
    return s.error();
  }
  return ApprovalOutcome::Done;
}

Result<int> PgRepairStore::expirePending(PgConnection& c) {
  const SystemTime now = clock_.now();
  Tx tx(c);
  if (auto s = tx.begin(); !s.ok()) {
    return s.error();
  }
  auto u = c.exec(
      "UPDATE auto_repairs SET status = 'expired', decided_at = $1, decided_by = 'policy' "
      "WHERE status = 'pending' AND expires_at <= clock_timestamp() "
      "RETURNING id, service, agent_id, action",
      {store::pgTimestamp(now)});
  if (!u.ok()) {
    return u.error();
  }
  for (int i = 0; i < u->rows(); ++i) {
    const std::int64_t id = u->int64(i, 0);
    auto a = audit::append(c,
                           {"policy", "repair.expire", target(u->str(i, 2), u->str(i, 3)),
                            dump({{"repair_id", id}, {"service", u->str(i, 1)}}), "expired"},
                           now);
    if (!a.ok()) {
      return a.error();
    }
    if (auto s = notify(c, id, u->str(i, 1), "repair-approval-expired",
                        "repair #" + std::to_string(id) + " of " + u->str(i, 1) +
                            " expired without approval: nothing ran",
                        "");
        !s.ok()) {
      return s.error();
    }
  }
  if (auto s = tx.commit(); !s.ok()) {
    return s.error();
  }
  return u->rows();
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

}  // namespace vitals::hub::repair
