#include "hub/logstats/pg_log_stats_store.hpp"

#include <nlohmann/json.hpp>

#include <iterator>
#include <map>

namespace vitals::hub::logstats {
namespace {

using store::fromEpochMicros;
using store::pgTimestamp;

constexpr std::chrono::milliseconds kPoolWait{5000};
// Writers of rollups take this transaction lock: two runs of one period never interleave.
constexpr const char* kWriteLock = "SELECT pg_advisory_xact_lock(7352186409571553017)";

Result<std::optional<SystemTime>> oneTime(store::PgPool& pool, const std::string& sql,
                                          const store::PgParams& p) {
  auto lease = pool.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(sql, p);
  if (!r.ok()) {
    return r.error();
  }
  if (r->rows() == 0) {
    return std::optional<SystemTime>{};
  }
  return r->epochTime(0, 0);
}

std::map<std::string, std::int64_t> levelsFrom(std::string_view text) {
  std::map<std::string, std::int64_t> out;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) {
    return out;
  }
  for (const auto& [k, v] : j.items()) {
    if (v.is_number_integer()) {
      out[k] = v.get<std::int64_t>();
    }
  }
  return out;
}

// The rollup rows of a window: daily rows for the days in $3 (finished days), hourly rows for
// the other hours in [$1, $2); $4 a service or "" for all.
std::string windowSource(const std::string& table, const std::string& columns) {
  return "SELECT " + columns + " FROM " + table +
         " WHERE granularity = 'day' AND period_start = ANY($3::timestamptz[]) "
         "AND ($4 = '' OR service = $4) "
         "UNION ALL SELECT " +
         columns + " FROM " + table +
         " WHERE granularity = 'hour' AND period_start >= $1 AND period_start < $2 "
         "AND ($4 = '' OR service = $4) "
         "AND NOT (date_trunc('day', period_start, 'UTC') = ANY($3::timestamptz[]))";
}

}  // namespace

Result<std::optional<SystemTime>> PgLogStatsStore::lastDone(std::string_view job_type) {
  return oneTime(pool_,
                 "SELECT " VITALS_EPOCH_US("max(period_start)") " FROM job_executions "
                 "WHERE job_type = $1 AND status = 'ok'",
                 {std::string(job_type)});
}

Result<std::optional<SystemTime>> PgLogStatsStore::firstDone(std::string_view job_type) {
  return oneTime(pool_,
                 "SELECT " VITALS_EPOCH_US("min(period_start)") " FROM job_executions "
                 "WHERE job_type = $1 AND status = 'ok'",
                 {std::string(job_type)});
}

Result<RawPeriod> PgLogStatsStore::readRaw(SystemTime from, SystemTime to) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto& conn = lease->conn();
  const store::PgParams p{pgTimestamp(from), pgTimestamp(to)};
  // Counts that are not plain integers (a broken agent) are left out rather than failing the
  // whole period.
  auto counts = conn.exec(
      "SELECT h.service, e.key, sum(e.value::bigint)::bigint, count(*) "
      "FROM health_checks h CROSS JOIN LATERAL jsonb_each_text(h.details) e "
      "WHERE h.kind = 'log' AND h.observed_at >= $1 AND h.observed_at < $2 "
      "AND (e.key = 'lines' OR e.key LIKE 'count.%') AND e.value ~ '^[0-9]{1,15}$' "
      "GROUP BY h.service, e.key",
      p);
  if (!counts.ok()) {
    return counts.error();
  }
  auto tops = conn.exec(
      "SELECT h.service, e.value, count(*), " VITALS_EPOCH_US("min(h.observed_at)") ", "
      VITALS_EPOCH_US("max(h.observed_at)") " "
      "FROM health_checks h CROSS JOIN LATERAL jsonb_each_text(h.details) e "
      "WHERE h.kind = 'log' AND h.observed_at >= $1 AND h.observed_at < $2 "
      "AND e.key LIKE 'top.%' GROUP BY h.service, e.value",
      p);
  if (!tops.ok()) {
    return tops.error();
  }
  RawPeriod raw;
  raw.counts.reserve(static_cast<std::size_t>(counts->rows()));
  for (int i = 0; i < counts->rows(); ++i) {
    raw.counts.push_back(
        {counts->str(i, 0), counts->str(i, 1), counts->int64(i, 2), counts->int64(i, 3)});
  }
  for (int i = 0; i < tops->rows(); ++i) {
    raw.tops.push_back({tops->str(i, 0), tops->str(i, 1), tops->int64(i, 2),
                        fromEpochMicros(tops->get(i, 3)), fromEpochMicros(tops->get(i, 4))});
  }
  return raw;
}

Result<std::vector<ServiceRollup>> PgLogStatsStore::readRollups(Granularity g, SystemTime from,
                                                                SystemTime to) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto& conn = lease->conn();
  const store::PgParams p{std::string(toString(g)), pgTimestamp(from), pgTimestamp(to)};
  auto rows = conn.exec(
      "SELECT service, results, lines, errors, warnings, levels::text FROM log_stats "
      "WHERE granularity = $1 AND period_start >= $2 AND period_start < $3",
      p);
  if (!rows.ok()) {
    return rows.error();
  }
  auto tops = conn.exec(
      "SELECT service, message, sum(count)::bigint, " VITALS_EPOCH_US("min(first_seen)") ", "
      VITALS_EPOCH_US("max(last_seen)") " FROM log_top_messages "
      "WHERE granularity = $1 AND period_start >= $2 AND period_start < $3 "
      "GROUP BY service, message",
      p);
  if (!tops.ok()) {
    return tops.error();
  }
  std::vector<ServiceRollup> out;
  for (int i = 0; i < rows->rows(); ++i) {
    ServiceRollup r;
    r.service = rows->str(i, 0);
    r.results = rows->int64(i, 1);
    r.lines = rows->int64(i, 2);
    r.errors = rows->int64(i, 3);
    r.warnings = rows->int64(i, 4);
    r.levels = levelsFrom(rows->get(i, 5));
    out.push_back(std::move(r));
  }
  for (int i = 0; i < tops->rows(); ++i) {
    ServiceRollup r;
    r.service = tops->str(i, 0);
    r.top.push_back({tops->str(i, 1), tops->int64(i, 2), fromEpochMicros(tops->get(i, 3)),
                     fromEpochMicros(tops->get(i, 4))});
    out.push_back(std::move(r));
  }
  return out;
}

Status PgLogStatsStore::replace(Granularity g, SystemTime period_start,
                                const std::vector<ServiceRollup>& rollups,
                                const JobExecution* execution) {
  const std::string gran(toString(g));
  const std::string start = pgTimestamp(period_start);
  std::string stats;
  std::string tops;
  for (const auto& r : rollups) {
    nlohmann::json levels = nlohmann::json::object();
    for (const auto& [k, v] : r.levels) {
      levels[k] = v;
    }
    stats += gran + '\t' + start + '\t';
    store::copyEscape(stats, r.service);
    stats += '\t' + std::to_string(r.results) + '\t' + std::to_string(r.lines) + '\t' +
             std::to_string(r.errors) + '\t' + std::to_string(r.warnings) + '\t';
    store::copyEscape(stats, levels.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    stats += '\n';
    for (const auto& m : r.top) {
      tops += gran + '\t' + start + '\t';
      store::copyEscape(tops, r.service);
      tops += '\t';
      store::copyEscape(tops, m.message);
      tops += '\t' + std::to_string(m.count) + '\t' + pgTimestamp(m.first_seen) + '\t' +
              pgTimestamp(m.last_seen) + '\n';
    }
  }
  return store::inTransaction(pool_, kPoolWait, [&](store::PgConnection& conn) -> Status {
    if (auto r = conn.exec(kWriteLock); !r.ok()) {
      return r.error();
    }
    for (const char* sql :
         {"DELETE FROM log_stats WHERE granularity = $1 AND period_start = $2::timestamptz",
          "DELETE FROM log_top_messages WHERE granularity = $1 AND period_start = "
          "$2::timestamptz"}) {
      if (auto r = conn.exec(sql, {gran, start}); !r.ok()) {
        return r.error();
      }
    }
    if (!stats.empty()) {
      auto c = conn.copyIn(
          "COPY log_stats (granularity, period_start, service, results, lines, errors, warnings, "
          "levels) FROM STDIN",
          stats);
      if (!c.ok()) {
        return c.error();
      }
    }
    if (!tops.empty()) {
      auto c = conn.copyIn(
          "COPY log_top_messages (granularity, period_start, service, message, count, "
          "first_seen, last_seen) FROM STDIN",
          tops);
      if (!c.ok()) {
        return c.error();
      }
    }
    if (execution != nullptr) {
      auto r = conn.exec(
          "INSERT INTO job_executions (job_type, period_start, period_end, started_at, "
          "finished_at, status, error, rows, replica) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
          {execution->job_type, pgTimestamp(execution->period_start),
           pgTimestamp(execution->period_end), pgTimestamp(execution->started_at),
           pgTimestamp(execution->finished_at), execution->status, execution->error,
           std::to_string(execution->rows), execution->replica});
      if (!r.ok()) {
        return r.error();
      }
    }
    return okStatus();
  });
}

Status PgLogStatsStore::recordExecution(const JobExecution& e) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(
      "INSERT INTO job_executions (job_type, period_start, period_end, started_at, finished_at, "
      "status, error, rows, replica) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      {e.job_type, pgTimestamp(e.period_start), pgTimestamp(e.period_end),
       pgTimestamp(e.started_at), pgTimestamp(e.finished_at), e.status, e.error,
       std::to_string(e.rows), e.replica});
  if (!r.ok()) {
    return r.error();
  }
  return okStatus();
}

Status PgLogStatsStore::prune(SystemTime before) {
  return store::inTransaction(pool_, kPoolWait, [&](store::PgConnection& conn) -> Status {
    for (const char* sql : {"DELETE FROM log_stats WHERE period_start < $1",
                            "DELETE FROM log_top_messages WHERE period_start < $1",
                            "DELETE FROM job_executions WHERE period_start < $1"}) {
      auto r = conn.exec(sql, {pgTimestamp(before)});
      if (!r.ok()) {
        return r.error();
      }
    }
    return okStatus();
  });
}

Result<std::optional<SystemTime>> PgLogStatsStore::windowsBase() {
  // The oldest base of the windows: all of them are made together.
  return oneTime(pool_,
                 "SELECT " VITALS_EPOCH_US("min(base_hour)") " FROM log_stats_window_bases "
                 "HAVING count(*) = $1::int",
                 {std::to_string(std::size(kWindows))});
}

Status PgLogStatsStore::refreshWindows(SystemTime hour) {
  std::string rows;
  const auto end = hour + std::chrono::hours{1};
  for (const auto& w : kWindows) {
    auto cur = totals(end - w.length, hour, "");
    if (!cur.ok()) {
      return cur.error();
    }
    auto prev = totals(end - 2 * w.length, end - w.length, "");
    if (!prev.ok()) {
      return prev.error();
    }
    std::map<std::string, std::pair<ServiceRollup, ServiceRollup>> by_service;
    for (auto& r : cur.value()) {
      by_service[r.service].first = std::move(r);
    }
    for (auto& r : prev.value()) {
      by_service[r.service].second = std::move(r);
    }
    auto part = [&rows](const ServiceRollup& r) {
      nlohmann::json levels = nlohmann::json::object();
      for (const auto& [k, v] : r.levels) {
        levels[k] = v;
      }
      rows += '\t' + std::to_string(r.results) + '\t' + std::to_string(r.lines) + '\t' +
              std::to_string(r.errors) + '\t' + std::to_string(r.warnings) + '\t';
      store::copyEscape(rows,
                        levels.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    };
    for (const auto& [service, pair] : by_service) {
      rows += w.name;
      rows += '\t';
      store::copyEscape(rows, service);
      part(pair.first);
      part(pair.second);
      rows += '\n';
    }
  }
  return store::inTransaction(pool_, kPoolWait, [&](store::PgConnection& conn) -> Status {
    if (auto r = conn.exec("DELETE FROM log_stats_windows"); !r.ok()) {
      return r.error();
    }
    if (!rows.empty()) {
      auto c = conn.copyIn(
          "COPY log_stats_windows (window_name, service, cur_results, cur_lines, cur_errors, "
          "cur_warnings, cur_levels, prev_results, prev_lines, prev_errors, prev_warnings, "
          "prev_levels) FROM STDIN",
          rows);
      if (!c.ok()) {
        return c.error();
      }
    }
    for (const auto& w : kWindows) {
      auto r = conn.exec(
          "INSERT INTO log_stats_window_bases (window_name, base_hour) VALUES ($1, $2) "
          "ON CONFLICT (window_name) DO UPDATE SET base_hour = EXCLUDED.base_hour",
          {std::string(w.name), pgTimestamp(hour)});
      if (!r.ok()) {
        return r.error();
      }
    }
    return okStatus();
  });
}

Result<std::optional<WindowTotals>> PgLogStatsStore::windowTotals(const std::string& window,
                                                                  SystemTime hour,
                                                                  const std::string& service) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto& conn = lease->conn();
  auto base = conn.exec(
      "SELECT " VITALS_EPOCH_US("base_hour") " FROM log_stats_window_bases WHERE window_name = $1",
      {window});
  if (!base.ok()) {
    return base.error();
  }
  if (base->rows() == 0 || base->epochTime(0, 0) != hour) {
    return std::optional<WindowTotals>{};
  }
  auto stored = conn.exec(
      "SELECT service, cur_results, cur_lines, cur_errors, cur_warnings, cur_levels::text, "
      "prev_results, prev_lines, prev_errors, prev_warnings, prev_levels::text FROM "
      "log_stats_windows WHERE window_name = $1 AND ($2 = '' OR service = $2)",
      {window, service});
  if (!stored.ok()) {
    return stored.error();
  }
  auto current = conn.exec(
      "SELECT service, results, lines, errors, warnings, levels::text FROM log_stats "
      "WHERE granularity = 'hour' AND period_start = $1 AND ($2 = '' OR service = $2)",
      {pgTimestamp(hour), service});
  if (!current.ok()) {
    return current.error();
  }
  auto rollup = [](const store::PgResult& r, int row, int col) {
    ServiceRollup x;
    x.service = r.str(row, 0);
    x.results = r.int64(row, col);
    x.lines = r.int64(row, col + 1);
    x.errors = r.int64(row, col + 2);
    x.warnings = r.int64(row, col + 3);
    x.levels = levelsFrom(r.get(row, col + 4));
    return x;
  };
  auto empty = [](const ServiceRollup& x) {
    return x.results == 0 && x.lines == 0 && x.levels.empty();
  };
  std::vector<ServiceRollup> parts;
  WindowTotals out;
  for (int i = 0; i < stored->rows(); ++i) {
    if (auto c = rollup(stored.value(), i, 1); !empty(c)) {
      parts.push_back(std::move(c));
    }
    if (auto p = rollup(stored.value(), i, 6); !empty(p)) {
      out.previous.push_back(std::move(p));
    }
  }
  for (int i = 0; i < current->rows(); ++i) {
    parts.push_back(rollup(current.value(), i, 1));
  }
  out.current = merge(parts, 0);
  return std::optional<WindowTotals>{std::move(out)};
}

Result<std::string> PgLogStatsStore::doneDays(store::PgConnection& conn, SystemTime from,
                                              SystemTime to) {
  auto r = conn.exec(
      "SELECT coalesce(array_agg(DISTINCT period_start)::text, '{}') FROM job_executions "
      "WHERE job_type = $1 AND status = 'ok' AND period_start >= $2 AND period_end <= $3",
      {std::string(kDailyJob), pgTimestamp(from), pgTimestamp(to)});
  if (!r.ok()) {
    return r.error();
  }
  return r->str(0, 0);
}

Result<std::vector<ServiceRollup>> PgLogStatsStore::totals(SystemTime from, SystemTime to,
                                                           const std::string& service) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto& conn = lease->conn();
  auto days = doneDays(conn, from, to);
  if (!days.ok()) {
    return days.error();
  }
  auto r = conn.exec(
      "WITH src AS MATERIALIZED (" +
          windowSource("log_stats", "service, results, lines, errors, warnings, levels") +
          "), tot AS (SELECT service, sum(results)::bigint AS results, sum(lines)::bigint AS "
          "lines, sum(errors)::bigint AS errors, sum(warnings)::bigint AS warnings FROM src "
          "GROUP BY service), "
          "lev AS (SELECT service, jsonb_object_agg(key, n) AS levels FROM (SELECT service, "
          "l.key, sum(l.value::bigint) AS n FROM src CROSS JOIN LATERAL "
          "jsonb_each_text(src.levels) l GROUP BY service, l.key) x GROUP BY service) "
          "SELECT tot.service, results, lines, errors, warnings, coalesce(lev.levels, "
          "'{}'::jsonb)::text FROM tot LEFT JOIN lev USING (service) ORDER BY tot.service",
      {pgTimestamp(from), pgTimestamp(to), days.value(), service});
  if (!r.ok()) {
    return r.error();
  }
  std::vector<ServiceRollup> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    ServiceRollup s;
    s.service = r->str(i, 0);
    s.results = r->int64(i, 1);
    s.lines = r->int64(i, 2);
    s.errors = r->int64(i, 3);
    s.warnings = r->int64(i, 4);
    s.levels = levelsFrom(r->get(i, 5));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<ServiceTopMessage>> PgLogStatsStore::topMessages(SystemTime from, SystemTime to,
                                                                    const std::string& service,
                                                                    int limit) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto& conn = lease->conn();
  auto days = doneDays(conn, from, to);
  if (!days.ok()) {
    return days.error();
  }
  auto r = conn.exec(
      "WITH src AS (" +
          windowSource("log_top_messages", "service, message, count, first_seen, last_seen") +
          ") SELECT service, message, sum(count)::bigint AS n, " VITALS_EPOCH_US("min(first_seen)")
          ", " VITALS_EPOCH_US("max(last_seen)")
          " FROM src GROUP BY service, message ORDER BY n DESC, service, message LIMIT $5",
      {pgTimestamp(from), pgTimestamp(to), days.value(), service, std::to_string(limit)});
  if (!r.ok()) {
    return r.error();
  }
  std::vector<ServiceTopMessage> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back({r->str(i, 0),
                   {r->str(i, 1), r->int64(i, 2), fromEpochMicros(r->get(i, 3)),
                    fromEpochMicros(r->get(i, 4))}});
  }
  return out;
}

Result<std::vector<SeriesPoint>> PgLogStatsStore::series(SystemTime from, SystemTime to,
                                                         const std::string& service,
                                                         Granularity bucket) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(
      "SELECT " VITALS_EPOCH_US("date_trunc($4, period_start, 'UTC')") " AS b, "
      "sum(lines)::bigint, sum(errors)::bigint, sum(warnings)::bigint FROM log_stats "
      "WHERE granularity = 'hour' AND service = $3 AND period_start >= $1 AND period_start < $2 "
      "GROUP BY b ORDER BY b",
      {pgTimestamp(from), pgTimestamp(to), service, std::string(toString(bucket))});
  if (!r.ok()) {
    return r.error();
  }
  std::vector<SeriesPoint> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back({fromEpochMicros(r->get(i, 0)), r->int64(i, 1), r->int64(i, 2), r->int64(i, 3)});
  }
  return out;
}

Result<std::vector<JobExecution>> PgLogStatsStore::executions(const std::string& job_type,
                                                              const std::string& status,
                                                              int limit) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  static const std::string kSelect =
      "SELECT id, job_type, " VITALS_EPOCH_US("period_start") ", " VITALS_EPOCH_US("period_end")
      ", " VITALS_EPOCH_US("started_at") ", " VITALS_EPOCH_US("finished_at")
      ", status, error, rows, replica FROM job_executions ";
  auto r = lease->conn().exec(
      kSelect +
          "WHERE ($1 = '' OR job_type = $1) AND ($2 = '' OR status = $2) ORDER BY id DESC LIMIT $3",
      {job_type, status, std::to_string(limit)});
  if (!r.ok()) {
    return r.error();
  }
  std::vector<JobExecution> out;
  for (int i = 0; i < r->rows(); ++i) {
    JobExecution e;
    e.id = r->int64(i, 0);
    e.job_type = r->str(i, 1);
    e.period_start = fromEpochMicros(r->get(i, 2));
    e.period_end = fromEpochMicros(r->get(i, 3));
    e.started_at = fromEpochMicros(r->get(i, 4));
    e.finished_at = fromEpochMicros(r->get(i, 5));
    e.status = r->str(i, 6);
    e.error = r->str(i, 7);
    e.rows = r->int64(i, 8);
    e.replica = r->str(i, 9);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace vitals::hub::logstats
