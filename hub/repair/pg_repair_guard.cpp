// PgRepairStore: recording decisions, the execution guard, replies, and approvals.
#include <nlohmann/json.hpp>

#include "hub/audit/audit_log.hpp"
#include "hub/notify/outbox.hpp"
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
  const std::string status = repairStatusOf(n.verdict);
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

}  // namespace vitals::hub::repair
