#include "hub/store/pg_status_store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>
#include <set>
#include <string_view>

namespace vitals::hub::store {
namespace {

using nlohmann::json;
using policy::RollupRow;
using policy::StatusSeconds;

constexpr const char* kRollupColumns =
    "healthy_seconds, degraded_seconds, down_seconds, unknown_seconds, cum_healthy, "
    "cum_degraded, cum_down, cum_unknown";

HealthStatus statusOf(std::string_view s) {
  return parseHealthStatus(s).value_or(HealthStatus::Unknown);
}

std::string statusText(HealthStatus s) { return std::string(toString(s)); }

double dbl(const PgResult& r, int row, int col) {
  if (r.isNull(row, col)) {
    return 0;
  }
  return std::strtod(r.str(row, col).c_str(), nullptr);
}

std::string num(double v) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

// Reads 8 rollup columns starting at `col`.
void readRollup(const PgResult& r, int row, int col, RollupRow& out) {
  out.seconds.healthy = dbl(r, row, col);
  out.seconds.degraded = dbl(r, row, col + 1);
  out.seconds.down = dbl(r, row, col + 2);
  out.seconds.unknown = dbl(r, row, col + 3);
  out.cumulative.healthy = dbl(r, row, col + 4);
  out.cumulative.degraded = dbl(r, row, col + 5);
  out.cumulative.down = dbl(r, row, col + 6);
  out.cumulative.unknown = dbl(r, row, col + 7);
}

void appendRows(json& rows, const std::string& service, const std::vector<RollupRow>& add) {
  for (const auto& r : add) {
    rows.push_back({{"service", service},
                    {"hour", pgTimestamp(r.hour)},
                    {"h", r.seconds.healthy},
                    {"dg", r.seconds.degraded},
                    {"dn", r.seconds.down},
                    {"u", r.seconds.unknown},
                    {"ch", r.cumulative.healthy},
                    {"cdg", r.cumulative.degraded},
                    {"cdn", r.cumulative.down},
                    {"cu", r.cumulative.unknown}});
  }
}

Status upsertRollups(PgConnection& conn, const json& rows) {
  if (rows.empty()) {
    return okStatus();
  }
  auto r = conn.exec(
      std::string("INSERT INTO uptime_hourly (service, hour, ") + kRollupColumns +
          ") SELECT x.service, x.hour, x.h, x.dg, x.dn, x.u, x.ch, x.cdg, x.cdn, x.cu "
          "FROM jsonb_to_recordset($1::jsonb) AS x(service text, hour timestamptz, "
          "h float8, dg float8, dn float8, u float8, ch float8, cdg float8, cdn float8, "
          "cu float8) ORDER BY 1, 2 "
          "ON CONFLICT (service, hour) DO UPDATE SET healthy_seconds = EXCLUDED.healthy_seconds, "
          "degraded_seconds = EXCLUDED.degraded_seconds, down_seconds = EXCLUDED.down_seconds, "
          "unknown_seconds = EXCLUDED.unknown_seconds, cum_healthy = EXCLUDED.cum_healthy, "
          "cum_degraded = EXCLUDED.cum_degraded, cum_down = EXCLUDED.cum_down, "
          "cum_unknown = EXCLUDED.cum_unknown",
      {rows.dump()});
  if (!r.ok()) {
    return r.error();
  }
  return okStatus();
}

Result<std::optional<RollupRow>> lastRollup(PgConnection& conn, const std::string& service) {
  auto r = conn.exec(std::string("SELECT " VITALS_EPOCH_US("hour") ", ") + kRollupColumns +
                         " FROM uptime_hourly WHERE service = $1 ORDER BY hour DESC LIMIT 1",
                     {service});
  if (!r.ok()) {
    return r.error();
  }
  if (r->rows() == 0) {
    return std::optional<RollupRow>{};
  }
  RollupRow row;
  row.hour = fromEpochMicros(r->get(0, 0));
  readRollup(*r, 0, 1, row);
  return std::optional<RollupRow>{row};
}

Status recordOne(PgConnection& conn, const policy::Transition& t) {
  HealthStatus from = t.from;  // the open window's status when there is one
  auto insertChange = [&]() -> Status {
    auto r = conn.exec(
        "INSERT INTO status_changes (service, from_status, to_status, at, reason, agent_id, "
        "check_name, cause, flapping) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        {t.service, statusText(from), statusText(t.to), pgTimestamp(t.at), t.reason, t.agent,
         t.check, std::string(policy::toString(t.cause)), t.flapping ? "true" : "false"});
    return r.ok() ? okStatus() : Status(r.error());
  };
  if (t.service == policy::kAgentsGroupService || t.cause == policy::Cause::LogRate) {
    return insertChange();
  }
  auto open = conn.exec("SELECT id, status, " VITALS_EPOCH_US("started_at") ", " VITALS_EPOCH_US(
                            "rolled_until") " FROM uptime_records "
                                            "WHERE service = $1 AND ended_at IS NULL FOR UPDATE",
                        {t.service});
  if (!open.ok()) {
    return open.error();
  }
  SystemTime at = t.at;
  StatusSeconds cumulative;  // the service's running totals at `at`, kept on the new window
  if (open->rows() > 0) {
    const HealthStatus current = statusOf(open->get(0, 1));
    from = current;
    if (current == t.to) {
      if (t.cause == policy::Cause::Stopped || t.cause == policy::Cause::Removed) {
        return insertChange();  // the window stays; the incident still has to resolve
      }
      return okStatus();  // already recorded (a retry): idempotent
    }
    const SystemTime started = fromEpochMicros(open->get(0, 2));
    const SystemTime rolled = fromEpochMicros(open->get(0, 3));
    at = std::max(at, started);  // a clock that stepped back never makes a negative window
    auto closed = conn.exec(
        "UPDATE uptime_records SET ended_at = $2, duration_seconds = $3, rolled_until = $2 "
        "WHERE id = $1",
        {open->str(0, 0), pgTimestamp(at),
         num(std::chrono::duration<double>(at - started).count())});
    if (!closed.ok()) {
      return closed.error();
    }
    auto last = lastRollup(conn, t.service);
    if (!last.ok()) {
      return last.error();
    }
    const auto added = policy::appendRollup(last.value(), current, std::max(rolled, started), at);
    cumulative = !added.empty() ? added.back().cumulative
                 : last.value() ? last.value()->cumulative
                                : StatusSeconds{};
    json rows = json::array();
    appendRows(rows, t.service, added);
    if (auto s = upsertRollups(conn, rows); !s.ok()) {
      return s;
    }
  } else {
    // A service's first window; rollups remain from before only when the hub lost its open
    // window (none in normal operation), and then they count.
    auto last = lastRollup(conn, t.service);
    if (!last.ok()) {
      return last.error();
    }
    if (last.value()) {
      cumulative = last.value()->cumulative;
    }
  }
  if (auto s = insertChange(); !s.ok()) {
    return s;
  }
  auto opened = conn.exec(
      "INSERT INTO uptime_records (service, status, started_at, rolled_until, cum_healthy, "
      "cum_degraded, cum_down, cum_unknown) VALUES ($1, $2, $3, $3, $4, $5, $6, $7)",
      {t.service, statusText(t.to), pgTimestamp(at), num(cumulative.healthy),
       num(cumulative.degraded), num(cumulative.down), num(cumulative.unknown)});
  return opened.ok() ? okStatus() : Status(opened.error());
}

// Many transitions of distinct services in a few set-based statements (a registration storm
// records a first window for every new service at once; row by row that is ~6 round trips per
// service). Same effects, in the same order per service, as recordOne for each.
Status recordBatch(PgConnection& conn, const std::vector<policy::Transition>& transitions) {
  json names = json::array();
  for (const auto& t : transitions) {
    if (t.service != policy::kAgentsGroupService && t.cause != policy::Cause::LogRate) {
      names.push_back(t.service);
    }
  }
  struct Open {
    std::string id;
    HealthStatus status = HealthStatus::Unknown;
    SystemTime started{};
    SystemTime rolled{};
  };
  std::map<std::string, Open> open;
  std::map<std::string, RollupRow> last;
  if (!names.empty()) {
    const std::string list = names.dump();
    auto o = conn.exec(std::string("SELECT service, id, status, ") +
                           VITALS_EPOCH_US("started_at") ", " VITALS_EPOCH_US("rolled_until") +
                           " FROM uptime_records WHERE service IN (SELECT "
                           "jsonb_array_elements_text($1::jsonb)) AND ended_at IS NULL "
                           "ORDER BY service FOR UPDATE",
                       {list});
    if (!o.ok()) {
      return o.error();
    }
    for (int i = 0; i < o->rows(); ++i) {
      open[o->str(i, 0)] = {o->str(i, 1), statusOf(o->get(i, 2)), fromEpochMicros(o->get(i, 3)),
                            fromEpochMicros(o->get(i, 4))};
    }
    auto l = conn.exec(
        std::string("SELECT DISTINCT ON (service) service, " VITALS_EPOCH_US("hour") ", ") +
            kRollupColumns +
            " FROM uptime_hourly WHERE service IN (SELECT "
            "jsonb_array_elements_text($1::jsonb)) ORDER BY service, hour DESC",
        {list});
    if (!l.ok()) {
      return l.error();
    }
    for (int i = 0; i < l->rows(); ++i) {
      RollupRow row;
      row.hour = fromEpochMicros(l->get(i, 1));
      readRollup(*l, i, 2, row);
      last[l->str(i, 0)] = row;
    }
  }
  json closes = json::array();
  json rollups = json::array();
  json changes = json::array();
  json windows = json::array();
  // jsonb refuses \u0000 where a text parameter would have stopped at it: drop NULs.
  auto text = [](std::string v) {
    v.erase(std::remove(v.begin(), v.end(), '\0'), v.end());
    return v;
  };
  auto change = [&](const policy::Transition& t, HealthStatus from) {
    changes.push_back({{"service", text(t.service)},
                       {"from", statusText(from)},
                       {"to", statusText(t.to)},
                       {"at", pgTimestamp(t.at)},
                       {"reason", text(t.reason)},
                       {"agent", text(t.agent)},
                       {"check", text(t.check)},
                       {"cause", std::string(policy::toString(t.cause))},
                       {"flapping", t.flapping}});
  };
  for (const auto& t : transitions) {
    if (t.service == policy::kAgentsGroupService || t.cause == policy::Cause::LogRate) {
      change(t, t.from);
      continue;
    }
    HealthStatus from = t.from;
    SystemTime at = t.at;
    StatusSeconds cumulative;
    const auto prev = last.find(t.service);
    const std::optional<RollupRow> newest =
        prev == last.end() ? std::nullopt : std::optional<RollupRow>{prev->second};
    if (const auto w = open.find(t.service); w != open.end()) {
      const HealthStatus current = w->second.status;
      from = current;
      if (current == t.to) {
        if (t.cause == policy::Cause::Stopped || t.cause == policy::Cause::Removed) {
          change(t, from);
        }
        continue;
      }
      at = std::max(at, w->second.started);
      closes.push_back(
          {{"id", std::stoll(w->second.id)},
           {"ended", pgTimestamp(at)},
           {"duration", std::chrono::duration<double>(at - w->second.started).count()}});
      const auto added =
          policy::appendRollup(newest, current, std::max(w->second.rolled, w->second.started), at);
      cumulative = !added.empty() ? added.back().cumulative
                   : newest       ? newest->cumulative
                                  : StatusSeconds{};
      appendRows(rollups, t.service, added);
    } else if (newest) {
      cumulative = newest->cumulative;
    }
    change(t, from);
    windows.push_back({{"service", t.service},
                       {"status", statusText(t.to)},
                       {"at", pgTimestamp(at)},
                       {"ch", cumulative.healthy},
                       {"cdg", cumulative.degraded},
                       {"cdn", cumulative.down},
                       {"cu", cumulative.unknown}});
  }
  if (!closes.empty()) {
    auto r = conn.exec(
        "UPDATE uptime_records r SET ended_at = x.ended, duration_seconds = x.duration, "
        "rolled_until = x.ended FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, "
        "ended timestamptz, duration float8) WHERE r.id = x.id",
        {closes.dump()});
    if (!r.ok()) {
      return r.error();
    }
  }
  if (auto st = upsertRollups(conn, rollups); !st.ok()) {
    return st;
  }
  if (!changes.empty()) {
    // ORDER BY the position: ids are assigned in the order of the transitions.
    auto r = conn.exec(
        "INSERT INTO status_changes (service, from_status, to_status, at, reason, agent_id, "
        "check_name, cause, flapping) SELECT x.service, x.\"from\", x.\"to\", x.at, x.reason, "
        "x.agent, x.\"check\", x.cause, x.flapping FROM ROWS FROM (jsonb_to_recordset($1::jsonb) "
        "AS (service text, \"from\" text, \"to\" text, at timestamptz, reason text, agent text, "
        "\"check\" text, cause text, flapping boolean)) WITH ORDINALITY AS x(service, \"from\", "
        "\"to\", at, reason, agent, \"check\", cause, flapping, n) "
        "ORDER BY x.n",
        {changes.dump(-1, ' ', false, json::error_handler_t::replace)});
    if (!r.ok()) {
      return r.error();
    }
  }
  if (!windows.empty()) {
    auto r = conn.exec(
        "INSERT INTO uptime_records (service, status, started_at, rolled_until, cum_healthy, "
        "cum_degraded, cum_down, cum_unknown) SELECT x.service, x.status, x.at, x.at, x.ch, "
        "x.cdg, x.cdn, x.cu FROM jsonb_to_recordset($1::jsonb) AS x(service text, status text, "
        "at timestamptz, ch float8, cdg float8, cdn float8, cu float8)",
        {windows.dump(-1, ' ', false, json::error_handler_t::replace)});
    if (!r.ok()) {
      return r.error();
    }
  }
  return okStatus();
}

// Whether every service (other than the grouped and log-rate entries) occurs once.
bool distinctServices(const std::vector<policy::Transition>& transitions) {
  std::set<std::string_view> seen;
  for (const auto& t : transitions) {
    if (t.service == policy::kAgentsGroupService || t.cause == policy::Cause::LogRate) {
      continue;
    }
    if (!seen.insert(t.service).second) {
      return false;
    }
  }
  return true;
}

}  // namespace

Status PgStatusStore::record(const std::vector<policy::Transition>& transitions) {
  if (transitions.empty()) {
    return okStatus();
  }
  auto lease = pool_.acquire(acquire_wait_);
  if (!lease.ok()) {
    return lease.error();
  }
  return inTransaction(lease->conn(), [&]() -> Status {
    // Replicas record concurrently: one writer at a time makes status_changes ids commit in
    // order, so the alert engine's cursor (id > last) never skips a row committed late.
    if (auto l = lease->conn().exec("SELECT pg_advisory_xact_lock(7305291163150640001)"); !l.ok()) {
      return l.error();
    }
    if (distinctServices(transitions)) {
      return recordBatch(lease->conn(), transitions);
    }
    for (const auto& t : transitions) {
      if (auto s = recordOne(lease->conn(), t); !s.ok()) {
        return s;
      }
    }
    return okStatus();
  });
}

Result<std::vector<OpenWindow>> PgStatusStore::openWindows() {
  auto lease = pool_.acquire(acquire_wait_);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec("SELECT service, status, " VITALS_EPOCH_US(
      "started_at") " FROM uptime_records WHERE ended_at IS NULL ORDER BY service");
  if (!r.ok()) {
    return r.error();
  }
  std::vector<OpenWindow> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back({r->str(i, 0), statusOf(r->get(i, 1)), fromEpochMicros(r->get(i, 2))});
  }
  return out;
}

Status PgStatusStore::checkpoint(SystemTime until, SystemTime drop_before) {
  auto lease = pool_.acquire(acquire_wait_);
  if (!lease.ok()) {
    return lease.error();
  }
  auto& conn = lease->conn();
  return inTransaction(conn, [&]() -> Status {
    auto open =
        conn.exec(std::string("SELECT r.service, r.status, " VITALS_EPOCH_US(
                      "r.rolled_until") ", " VITALS_EPOCH_US("h.hour") ", ") +
                      "h.healthy_seconds, h.degraded_seconds, h.down_seconds, h.unknown_seconds, "
                      "h.cum_healthy, h.cum_degraded, h.cum_down, h.cum_unknown "
                      "FROM uptime_records r LEFT JOIN LATERAL (SELECT * FROM uptime_hourly u "
                      "WHERE u.service = r.service ORDER BY u.hour DESC LIMIT 1) h ON true "
                      "WHERE r.ended_at IS NULL AND r.rolled_until < $1 FOR UPDATE OF r",
                  {pgTimestamp(until)});
    if (!open.ok()) {
      return open.error();
    }
    json rows = json::array();
    json totals = json::array();  // each open window's running totals at `until`
    for (int i = 0; i < open->rows(); ++i) {
      std::optional<RollupRow> last;
      if (!open->isNull(i, 3)) {
        RollupRow row;
        row.hour = fromEpochMicros(open->get(i, 3));
        readRollup(*open, i, 4, row);
        last = row;
      }
      const auto added = policy::appendRollup(last, statusOf(open->get(i, 1)),
                                              fromEpochMicros(open->get(i, 2)), until);
      const StatusSeconds cum = !added.empty() ? added.back().cumulative
                                : last         ? last->cumulative
                                               : StatusSeconds{};
      totals.push_back({{"service", open->str(i, 0)},
                        {"ch", cum.healthy},
                        {"cdg", cum.degraded},
                        {"cdn", cum.down},
                        {"cu", cum.unknown}});
      appendRows(rows, open->str(i, 0), added);
    }
    if (auto s = upsertRollups(conn, rows); !s.ok()) {
      return s;
    }
    auto moved = conn.exec(
        "UPDATE uptime_records r SET rolled_until = $1, cum_healthy = x.ch, "
        "cum_degraded = x.cdg, cum_down = x.cdn, cum_unknown = x.cu "
        "FROM jsonb_to_recordset($2::jsonb) AS x(service text, ch float8, cdg float8, "
        "cdn float8, cu float8) WHERE r.service = x.service AND r.ended_at IS NULL",
        {pgTimestamp(until), totals.dump()});
    if (!moved.ok()) {
      return moved.error();
    }
    // Retention: every service has a row per hour (checkpoints leave no gaps), so dropping old
    // hours keeps the running totals of newer rows valid.
    auto dropped =
        conn.exec("DELETE FROM uptime_hourly WHERE hour < $1", {pgTimestamp(drop_before)});
    if (!dropped.ok()) {
      return dropped.error();
    }
    auto old =
        conn.exec("DELETE FROM uptime_records WHERE ended_at < $1", {pgTimestamp(drop_before)});
    return old.ok() ? okStatus() : Status(old.error());
  });
}

Result<std::vector<policy::AgentLiveness>> PgStatusStore::liveness() {
  auto lease = pool_.acquire(acquire_wait_);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(
      "SELECT a.agent_id, " VITALS_EPOCH_US("a.last_seen") ", a.heartbeat_interval_ms, "
      "a.unreachable_since IS NOT NULL, a.deregistered_at IS NOT NULL, " VITALS_EPOCH_US(
          "a.deregistered_at") ", " VITALS_EPOCH_US("a.unreachable_since") ", "
                               "a.forgotten_at IS NOT NULL, e.revoked_at IS NOT NULL, " VITALS_EPOCH_US(
                                   "e.revoked_at") " FROM agents a LEFT JOIN enrolled_agents e "
                                                   "ON e.agent_id = a.agent_id");
  if (!r.ok()) {
    return r.error();
  }
  std::vector<policy::AgentLiveness> out;
  for (int i = 0; i < r->rows(); ++i) {
    policy::AgentLiveness a;
    a.agent_id = r->str(i, 0);
    a.last_seen = fromEpochMicros(r->get(i, 1));
    if (!r->isNull(i, 2)) {
      a.heartbeat_interval = std::chrono::milliseconds{r->int64(i, 2)};
    }
    a.unreachable = r->boolean(i, 3);
    a.deregistered = r->boolean(i, 4);
    if (!r->isNull(i, 5)) {
      a.deregistered_at = fromEpochMicros(r->get(i, 5));
    }
    if (!r->isNull(i, 6)) {
      a.unreachable_since = fromEpochMicros(r->get(i, 6));
    }
    a.forgotten = r->boolean(i, 7);
    a.revoked = r->boolean(i, 8);
    if (!r->isNull(i, 9)) {
      a.revoked_at = fromEpochMicros(r->get(i, 9));
    }
    out.push_back(std::move(a));
  }
  return out;
}

Status PgStatusStore::setUnreachable(const std::vector<std::string>& agents,
                                     std::optional<SystemTime> since) {
  if (agents.empty()) {
    return okStatus();
  }
  auto lease = pool_.acquire(acquire_wait_);
  if (!lease.ok()) {
    return lease.error();
  }
  PgParams params{json(agents).dump()};
  params.push_back(since ? std::optional<std::string>(pgTimestamp(*since)) : std::nullopt);
  // Rows locked in agent_id order, like the ingest's batched upserts of the same rows: two
  // writers taking many agents' rows in different orders deadlock.
  auto r = lease->conn().exec(
      "UPDATE agents a SET unreachable_since = $2::timestamptz FROM (SELECT agent_id FROM agents "
      "WHERE agent_id IN (SELECT value FROM jsonb_array_elements_text($1::jsonb)) "
      "ORDER BY agent_id FOR UPDATE) l WHERE a.agent_id = l.agent_id",
      params);
  return r.ok() ? okStatus() : Status(r.error());
}

Result<std::vector<std::string>> PgStatusStore::forgetAgents(const std::vector<std::string>& agents,
                                                             SystemTime at) {
  std::vector<std::string> out;
  if (agents.empty()) {
    return out;
  }
  auto lease = pool_.acquire(acquire_wait_);
  if (!lease.ok()) {
    return lease.error();
  }
  auto& conn = lease->conn();
  auto s = inTransaction(conn, [&]() -> Status {
    out.clear();
    auto r = conn.exec(
        "UPDATE agents SET forgotten_at = $2, unreachable_since = NULL WHERE forgotten_at IS "
        "NULL AND agent_id IN (SELECT value FROM jsonb_array_elements_text($1::jsonb)) "
        "RETURNING agent_id",
        {json(agents).dump(), pgTimestamp(at)});
    if (!r.ok()) {
      return r.error();
    }
    for (int i = 0; i < r->rows(); ++i) {
      out.push_back(r->str(i, 0));
    }
    if (out.empty()) {
      return okStatus();
    }
    auto d = conn.exec(
        "DELETE FROM checks WHERE agent_id IN (SELECT value FROM "
        "jsonb_array_elements_text($1::jsonb))",
        {json(out).dump()});
    return d.ok() ? okStatus() : Status(d.error());
  });
  if (!s.ok()) {
    return s.error();
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status PgStatusStore::setClockSkew(const std::string& agent,
                                   std::optional<std::chrono::milliseconds> skew) {
  auto lease = pool_.acquire(acquire_wait_);
  if (!lease.ok()) {
    return lease.error();
  }
  PgParams params{agent};
  params.push_back(skew ? std::optional<std::string>(std::to_string(skew->count())) : std::nullopt);
  auto r = lease->conn().exec("UPDATE agents SET clock_skew_ms = $2::bigint WHERE agent_id = $1",
                              params);
  return r.ok() ? okStatus() : Status(r.error());
}

Result<std::map<std::string, StatusSeconds>> PgStatusStore::totals(
    SystemTime since, SystemTime now, const std::optional<std::string>& service) {
  auto lease = pool_.acquire(acquire_wait_);
  if (!lease.ok()) {
    return lease.error();
  }
  auto& conn = lease->conn();
  const SystemTime from = policy::hourOf(since);
  // The running totals now: one row per service, the open window's (no rollup probes).
  PgParams params;
  std::string filter;
  if (service) {
    params.push_back(*service);
    filter = " AND service = $1";
  }
  auto r = conn.exec(std::string("SELECT service, status, " VITALS_EPOCH_US("rolled_until") ", ") +
                         "cum_healthy, cum_degraded, cum_down, cum_unknown FROM uptime_records "
                         "WHERE ended_at IS NULL" +
                         filter,
                     params);
  if (!r.ok()) {
    return r.error();
  }
  // The running totals at the window's start: settled history, cached per boundary hour for
  // the all-services query; `extra` holds what is looked up for this request only.
  std::shared_ptr<const BoundaryTotals> cached;
  std::map<std::string, StatusSeconds> extra;
  if (service) {
    auto b = totalsBefore(conn, from, std::vector<std::string>{*service});
    if (!b.ok()) {
      return b.error();
    }
    extra = std::move(b.value());
  } else {
    auto b = boundaryTotals(conn, from);
    if (!b.ok()) {
      return b.error();
    }
    cached = b.value();
    if (!cached->unsettled.empty()) {
      auto more = totalsBefore(conn, from, cached->unsettled);
      if (!more.ok()) {
        return more.error();
      }
      extra = std::move(more.value());
    }
  }
  const auto beforeOf = [&](const std::string& name) -> const StatusSeconds* {
    if (const auto e = extra.find(name); e != extra.end()) {
      return &e->second;
    }
    if (cached) {
      if (const auto c = cached->before.find(name); c != cached->before.end()) {
        return &c->second;
      }
    }
    return nullptr;  // no rollups before the window: it counts from zero
  };
  std::map<std::string, StatusSeconds> out;
  for (int i = 0; i < r->rows(); ++i) {
    const StatusSeconds last{dbl(*r, i, 3), dbl(*r, i, 4), dbl(*r, i, 5), dbl(*r, i, 6), 0};
    const std::string name = r->str(i, 0);
    const StatusSeconds* b = beforeOf(name);
    StatusSeconds s = b == nullptr ? last : last - *b;
    // The ongoing window after what is already rolled up.
    const SystemTime rolled = std::max(fromEpochMicros(r->get(i, 2)), from);
    if (now > rolled) {
      s.add(statusOf(r->get(i, 1)), std::chrono::duration<double>(now - rolled).count());
    }
    out.emplace(name, s);
  }
  return out;
}

Result<std::map<std::string, StatusSeconds>> PgStatusStore::totalsBefore(
    PgConnection& conn, SystemTime from, const std::vector<std::string>& services) {
  json names = services;
  // The newest rollup row before `from` per service: one index probe each on (service, hour).
  auto r = conn.exec(
      "SELECT s.name, b.cum_healthy, b.cum_degraded, b.cum_down, b.cum_unknown "
      "FROM jsonb_array_elements_text($2::jsonb) AS s(name) "
      "JOIN LATERAL (SELECT * FROM uptime_hourly u WHERE u.service = s.name AND "
      "u.hour < $1 ORDER BY u.hour DESC LIMIT 1) b ON true",
      {pgTimestamp(from), names.dump()});
  if (!r.ok()) {
    return r.error();
  }
  std::map<std::string, StatusSeconds> out;
  for (int i = 0; i < r->rows(); ++i) {
    out[r->str(i, 0)] = {dbl(*r, i, 1), dbl(*r, i, 2), dbl(*r, i, 3), dbl(*r, i, 4), 0};
  }
  return out;
}

Result<std::shared_ptr<const PgStatusStore::BoundaryTotals>> PgStatusStore::boundaryTotals(
    PgConnection& conn, SystemTime from) {
  std::shared_ptr<const BoundaryTotals> entry;
  {
    std::lock_guard lock(cache_mu_);
    for (const auto& e : boundary_cache_) {
      if (e->from == from) {
        entry = e;
      }
    }
  }
  if (!entry) {
    // Rows before `from` never change again for a service whose open window is rolled up to
    // `from` or later (rollups are only ever added from rolled_until on); the others (a site
    // down for longer than the window) are looked up on every request until they are.
    auto r = conn.exec(std::string("SELECT r.service, " VITALS_EPOCH_US("r.rolled_until") ", ") +
                           "b.cum_healthy, b.cum_degraded, b.cum_down, b.cum_unknown "
                           "FROM uptime_records r LEFT JOIN LATERAL (SELECT * FROM uptime_hourly "
                           "u WHERE u.service = r.service AND u.hour < $1 ORDER BY u.hour DESC "
                           "LIMIT 1) b ON true WHERE r.ended_at IS NULL",
                       {pgTimestamp(from)});
    if (!r.ok()) {
      return r.error();
    }
    auto fresh = std::make_shared<BoundaryTotals>();
    fresh->from = from;
    for (int i = 0; i < r->rows(); ++i) {
      if (policy::hourOf(fromEpochMicros(r->get(i, 1))) < from) {
        fresh->unsettled.push_back(r->str(i, 0));
      } else if (!r->isNull(i, 2)) {
        fresh->before.emplace_hint(
            fresh->before.end(), r->str(i, 0),
            StatusSeconds{dbl(*r, i, 2), dbl(*r, i, 3), dbl(*r, i, 4), dbl(*r, i, 5), 0});
      }
    }
    std::lock_guard lock(cache_mu_);
    boundary_cache_.push_back(fresh);
    if (boundary_cache_.size() > kBoundaryCacheEntries) {
      boundary_cache_.erase(boundary_cache_.begin());
    }
    entry = fresh;
  }
  return entry;
}

Result<std::vector<UptimeWindow>> PgStatusStore::windows(const std::string& service,
                                                         SystemTime since, SystemTime now) {
  auto lease = pool_.acquire(acquire_wait_);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(
      "SELECT status, " VITALS_EPOCH_US("started_at") ", " VITALS_EPOCH_US(
          "ended_at") " FROM uptime_records WHERE service = $1 AND (ended_at IS NULL OR "
                      "ended_at > $2) AND started_at < $3 ORDER BY started_at, id",
      {service, pgTimestamp(since), pgTimestamp(now)});
  if (!r.ok()) {
    return r.error();
  }
  std::vector<UptimeWindow> out;
  for (int i = 0; i < r->rows(); ++i) {
    UptimeWindow w;
    w.status = statusOf(r->get(i, 0));
    w.started_at = fromEpochMicros(r->get(i, 1));
    if (!r->isNull(i, 2)) {
      w.ended_at = fromEpochMicros(r->get(i, 2));
    }
    out.push_back(w);
  }
  return out;
}

Result<std::vector<TrendBucket>> PgStatusStore::trends(const std::string& service, SystemTime since,
                                                       SystemTime now) {
  auto lease = pool_.acquire(acquire_wait_);
  if (!lease.ok()) {
    return lease.error();
  }
  auto& conn = lease->conn();
  const SystemTime from = policy::hourOf(since);
  std::map<SystemTime, TrendBucket> buckets;
  for (SystemTime h = from; h < now; h += std::chrono::hours{1}) {
    buckets[h].hour = h;
  }
  // Hours by epoch arithmetic, not date_trunc: independent of the session's time zone.
  auto lat = conn.exec(
      "SELECT (floor(EXTRACT(EPOCH FROM observed_at) / 3600) * 3600000000)::bigint, "
      "avg(latency_us), max(latency_us), count(*) FROM health_checks "
      "WHERE service = $1 AND observed_at >= $2 AND observed_at < $3 GROUP BY 1",
      {service, pgTimestamp(from), pgTimestamp(now)});
  if (!lat.ok()) {
    return lat.error();
  }
  for (int i = 0; i < lat->rows(); ++i) {
    auto it = buckets.find(fromEpochMicros(lat->get(i, 0)));
    if (it == buckets.end()) {
      continue;
    }
    it->second.latency_avg_ms = dbl(*lat, i, 1) / 1000.0;
    it->second.latency_max_ms = dbl(*lat, i, 2) / 1000.0;
    it->second.results = static_cast<std::uint64_t>(lat->int64(i, 3));
  }
  auto rolled = conn.exec(
      "SELECT " VITALS_EPOCH_US("hour") ", healthy_seconds, degraded_seconds, down_seconds, "
                                 "unknown_seconds FROM uptime_hourly WHERE service = $1 AND "
                                 "hour >= $2 AND hour < $3",
      {service, pgTimestamp(from), pgTimestamp(now)});
  if (!rolled.ok()) {
    return rolled.error();
  }
  for (int i = 0; i < rolled->rows(); ++i) {
    auto it = buckets.find(fromEpochMicros(rolled->get(i, 0)));
    if (it == buckets.end()) {
      continue;
    }
    it->second.seconds += StatusSeconds{dbl(*rolled, i, 1), dbl(*rolled, i, 2), dbl(*rolled, i, 3),
                                        dbl(*rolled, i, 4), 0};
  }
  auto open = conn.exec("SELECT status, " VITALS_EPOCH_US(
                            "rolled_until") " FROM uptime_records WHERE service = $1 AND "
                                            "ended_at IS NULL",
                        {service});
  if (!open.ok()) {
    return open.error();
  }
  if (open->rows() > 0) {
    const HealthStatus status = statusOf(open->get(0, 0));
    for (const auto& piece :
         policy::splitByHour(std::max(fromEpochMicros(open->get(0, 1)), from), now)) {
      auto it = buckets.find(piece.hour);
      if (it != buckets.end()) {
        it->second.seconds.add(status, piece.seconds);
      }
    }
  }
  std::vector<TrendBucket> out;
  out.reserve(buckets.size());
  for (auto& [hour, b] : buckets) {
    out.push_back(std::move(b));
  }
  return out;
}

Result<bool> PgStatusStore::knows(const std::string& service) {
  auto lease = pool_.acquire(acquire_wait_);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec("SELECT 1 FROM uptime_records WHERE service = $1 LIMIT 1", {service});
  if (!r.ok()) {
    return r.error();
  }
  return r->rows() > 0;
}

}  // namespace vitals::hub::store
