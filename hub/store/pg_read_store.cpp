#include "hub/store/pg_read_store.hpp"

#include <nlohmann/json.hpp>

#include "common/model/status.hpp"

namespace vitals::hub::store {
namespace {

// A glob ('*', '?') as a LIKE pattern with the default escape character.
std::string likePattern(std::string_view glob) {
  std::string out;
  for (const char c : glob) {
    if (c == '*') {
      out += '%';
    } else if (c == '?') {
      out += '_';
    } else {
      if (c == '%' || c == '_' || c == '\\') {
        out += '\\';
      }
      out += c;
    }
  }
  return out;
}

// agents.action_specs (names, parameters, limits) when the agent described its actions, else
// the names in agents.actions.
void readActions(const PgResult& rows, int row, int names_col, int specs_col, AgentRecord& a) {
  if (!rows.isNull(row, specs_col)) {
    const auto specs = nlohmann::json::parse(rows.get(row, specs_col), nullptr, false);
    if (specs.is_array()) {
      a.actions_described = true;
      for (const auto& j : specs) {
        ActionSpec spec;
        spec.name = j.value("name", "");
        for (const auto& p : j.value("params", nlohmann::json::array())) {
          spec.params.push_back({p.value("name", ""), p.value("pattern", "")});
        }
        spec.timeout = std::chrono::milliseconds{j.value("timeout_ms", std::int64_t{0})};
        spec.cooldown = std::chrono::milliseconds{j.value("cooldown_ms", std::int64_t{0})};
        spec.max_concurrent = j.value("max_concurrent", std::uint32_t{0});
        a.actions.push_back(std::move(spec));
      }
      return;
    }
  }
  const auto names = nlohmann::json::parse(rows.get(row, names_col), nullptr, false);
  if (names.is_array()) {
    for (const auto& n : names) {
      if (n.is_string()) {
        a.actions.push_back(ActionSpec{n.get<std::string>(), {}, {}, {}, 0});
      }
    }
  }
}

HealthStatus statusOf(std::string_view s) {
  return parseHealthStatus(s).value_or(HealthStatus::Unknown);
}

FailureKind failureKindOf(std::string_view s) {
  for (auto k : {FailureKind::None, FailureKind::Timeout, FailureKind::Refused,
                 FailureKind::Unexpected, FailureKind::Error, FailureKind::Crashed}) {
    if (toString(k) == s) {
      return k;
    }
  }
  return FailureKind::Error;
}

std::uint64_t u64(const PgResult& r, int row, int col) {
  return static_cast<std::uint64_t>(r.int64(row, col));
}

std::optional<SystemTime> optionalTime(const PgResult& r, int row, int col) {
  if (r.isNull(row, col)) {
    return std::nullopt;
  }
  return fromEpochMicros(r.get(row, col));
}

}  // namespace

Result<HistoryPage> PgReadStore::history(const HistoryQuery& q) {
  auto lease = pool_.acquire(acquire_wait_);
  if (!lease.ok()) {
    return lease.error();
  }
  PgParams params;
  std::string sql =
      "SELECT agent_id, boot_id, seq, service, check_name, kind, status, raw_status, latency_us, "
      "message, details::text, failure_kind, attempt, consecutive_failures, "
      "flapping, " VITALS_EPOCH_US("observed_at") ", " VITALS_EPOCH_US(
          "received_at") " FROM health_checks WHERE true";
  auto param = [&](std::string v) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size());
  };
  if (!q.service.empty()) {
    sql += " AND service = " + param(q.service);
  }
  if (!q.service_globs.empty()) {
    sql += " AND (";
    for (std::size_t i = 0; i < q.service_globs.size(); ++i) {
      sql +=
          (i == 0 ? "service LIKE " : " OR service LIKE ") + param(likePattern(q.service_globs[i]));
    }
    sql += ")";
  }
  if (!q.statuses.empty()) {
    // Literals, not parameters: the planner can then prove the partial index on non-healthy
    // rows applies (the values come from the enum, never from the caller's text).
    sql += " AND status IN (";
    for (std::size_t i = 0; i < q.statuses.size(); ++i) {
      sql += (i == 0 ? "'" : ", '") + std::string(toString(q.statuses[i])) + "'";
    }
    sql += ")";
  }
  if (!q.agent_id.empty()) {
    sql += " AND agent_id = " + param(q.agent_id);
  }
  if (!q.kind.empty()) {
    sql += " AND kind = " + param(q.kind);
  }
  if (q.since) {
    sql += " AND observed_at >= " + param(pgTimestamp(*q.since)) + "::timestamptz";
  }
  if (q.until) {
    sql += " AND observed_at < " + param(pgTimestamp(*q.until)) + "::timestamptz";
  }
  if (q.after) {
    // Keyset pagination: strictly below the cursor in (observed_at, agent, boot, seq) order.
    const auto t = param(pgTimestamp(q.after->observed_at));
    const auto a = param(q.after->agent_id);
    const auto b = param(q.after->boot_id);
    const auto s = param(std::to_string(q.after->seq));
    sql += " AND (observed_at, agent_id, boot_id, seq) < (" + t + "::timestamptz, " + a + ", " + b +
           ", " + s + "::bigint)";
  }
  sql += " ORDER BY observed_at DESC, agent_id DESC, boot_id DESC, seq DESC LIMIT " +
         param(std::to_string(q.limit + 1)) + "::int";
  auto rows = lease->conn().exec(sql, params);
  if (!rows.ok()) {
    return rows.error();
  }
  HistoryPage page;
  const int n = std::min(rows->rows(), q.limit);
  for (int i = 0; i < n; ++i) {
    StoredResult s;
    auto& r = s.result;
    r.agent_id = rows->str(i, 0);
    r.boot_id = rows->str(i, 1);
    r.seq = u64(*rows, i, 2);
    r.service = rows->str(i, 3);
    r.check = rows->str(i, 4);
    r.kind = rows->str(i, 5);
    r.status = statusOf(rows->get(i, 6));
    r.raw_status = statusOf(rows->get(i, 7));
    r.latency = std::chrono::microseconds{rows->int64(i, 8)};
    r.message = rows->str(i, 9);
    if (!rows->isNull(i, 10)) {
      auto details = nlohmann::json::parse(rows->get(i, 10), nullptr, false);
      if (details.is_object()) {
        for (const auto& [k, v] : details.items()) {
          r.details[k] = v.is_string() ? v.get<std::string>() : v.dump();
        }
      }
    }
    r.failure_kind = failureKindOf(rows->get(i, 11));
    r.attempt = static_cast<std::uint32_t>(rows->int64(i, 12));
    r.consecutive_failures = static_cast<std::uint32_t>(rows->int64(i, 13));
    r.flapping = rows->boolean(i, 14);
    r.observed_at = fromEpochMicros(rows->get(i, 15));
    s.received_at = fromEpochMicros(rows->get(i, 16));
    page.results.push_back(std::move(s));
  }
  if (rows->rows() > q.limit && !page.results.empty()) {
    const auto& last = page.results.back().result;
    page.next = HistoryCursor{last.observed_at, last.agent_id, last.boot_id, last.seq};
  }
  return page;
}

Result<std::vector<AgentRecord>> PgReadStore::agents() { return agentsWhere("", {}); }

Result<std::optional<AgentRecord>> PgReadStore::agent(const std::string& agent_id) {
  auto found = agentsWhere(" AND agent_id = $1", {agent_id});
  if (!found.ok()) {
    return found.error();
  }
  if (found->empty()) {
    return std::optional<AgentRecord>();
  }
  return std::optional<AgentRecord>(std::move(found->front()));
}

Result<std::vector<AgentRecord>> PgReadStore::agentsWhere(const std::string& condition,
                                                          const PgParams& params) {
  auto lease = pool_.acquire(acquire_wait_);
  if (!lease.ok()) {
    return lease.error();
  }
  auto rows = lease->conn().exec(
      "SELECT agent_id, hostname, version, boot_id, labels::text, " VITALS_EPOCH_US(
          "first_seen") ", " VITALS_EPOCH_US("last_seen") ", " VITALS_EPOCH_US("registered_at") ", " VITALS_EPOCH_US(
          "deregistered_at") ", check_count, heartbeat_interval_ms, " VITALS_EPOCH_US(
          "unreachable_since") ", clock_skew_ms, " VITALS_EPOCH_US(
          "(SELECT e.revoked_at FROM enrolled_agents e WHERE e.agent_id = agents.agent_id)") ", "
      "actions::text, action_specs::text FROM agents WHERE forgotten_at IS NULL" +
          condition + " ORDER BY agent_id",
      params);
  if (!rows.ok()) {
    return rows.error();
  }
  std::vector<AgentRecord> out;
  for (int i = 0; i < rows->rows(); ++i) {
    AgentRecord a;
    a.agent_id = rows->str(i, 0);
    a.hostname = rows->str(i, 1);
    a.version = rows->str(i, 2);
    a.boot_id = rows->str(i, 3);
    auto labels = nlohmann::json::parse(rows->get(i, 4), nullptr, false);
    if (labels.is_object()) {
      for (const auto& [k, v] : labels.items()) {
        a.labels[k] = v.is_string() ? v.get<std::string>() : v.dump();
      }
    }
    a.first_seen = fromEpochMicros(rows->get(i, 5));
    a.last_seen = fromEpochMicros(rows->get(i, 6));
    a.registered_at = optionalTime(*rows, i, 7);
    a.deregistered_at = optionalTime(*rows, i, 8);
    a.check_count = static_cast<int>(rows->int64(i, 9));
    if (!rows->isNull(i, 10)) {
      a.heartbeat_interval = std::chrono::milliseconds{rows->int64(i, 10)};
    }
    a.unreachable_since = optionalTime(*rows, i, 11);
    if (!rows->isNull(i, 12)) {
      a.clock_skew = std::chrono::milliseconds{rows->int64(i, 12)};
    }
    a.revoked_at = optionalTime(*rows, i, 13);
    readActions(*rows, i, 14, 15, a);
    out.push_back(std::move(a));
  }
  return out;
}

Result<std::vector<StoredCheck>> PgReadStore::checks() {
  auto lease = pool_.acquire(acquire_wait_);
  if (!lease.ok()) {
    return lease.error();
  }
  auto rows = lease->conn().exec(
      "SELECT agent_id, name, service, kind, target, interval_ms, timeout_ms, retries, "
      "degraded_latency_ms, last_status, last_raw_status, last_latency_us, last_message, "
      "" VITALS_EPOCH_US("last_checked") ", last_boot_id, last_seq, last_failure_kind "
      "FROM checks ORDER BY agent_id, name");
  if (!rows.ok()) {
    return rows.error();
  }
  std::vector<StoredCheck> out;
  for (int i = 0; i < rows->rows(); ++i) {
    StoredCheck c;
    c.agent_id = rows->str(i, 0);
    c.spec.name = rows->str(i, 1);
    c.spec.service = rows->str(i, 2);
    c.spec.kind = rows->str(i, 3);
    c.spec.target = rows->str(i, 4);
    c.spec.interval = std::chrono::milliseconds{rows->int64(i, 5)};
    c.spec.timeout = std::chrono::milliseconds{rows->int64(i, 6)};
    c.spec.retries = static_cast<std::uint32_t>(rows->int64(i, 7));
    c.spec.degraded_latency = std::chrono::milliseconds{rows->int64(i, 8)};
    if (!rows->isNull(i, 9) && !rows->isNull(i, 13)) {
      CheckResult r;
      r.agent_id = c.agent_id;
      r.check = c.spec.name;
      r.service = c.spec.service;
      r.kind = c.spec.kind;
      r.status = statusOf(rows->get(i, 9));
      r.raw_status = statusOf(rows->get(i, 10));
      r.latency = std::chrono::microseconds{rows->int64(i, 11)};
      r.message = rows->str(i, 12);
      r.observed_at = fromEpochMicros(rows->get(i, 13));
      r.boot_id = rows->str(i, 14);
      r.seq = u64(*rows, i, 15);
      r.failure_kind = failureKindOf(rows->get(i, 16));
      c.last = std::move(r);
    }
    out.push_back(std::move(c));
  }
  return out;
}

Status PgReadStore::ping() {
  auto lease = pool_.acquire(std::chrono::milliseconds{2000});
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec("SELECT 1");
  if (!r.ok()) {
    return r.error();
  }
  return okStatus();
}

}  // namespace vitals::hub::store
