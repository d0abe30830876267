// bench_log_stats: the log statistics numbers of docs/benchmarks.md. Not a test; it prints.
//   1. GET /api/v1/logs/stats (the handler over PostgreSQL, as the hub serves it) and
//      GET /api/v1/logs/top-errors over D days of hourly rollups (and the daily rollups the job
//      makes of them) for N services: p50/p99 per window.
//   2. The hourly job over a day of raw `log` results (one a minute per service): seconds per
//      hour rolled up and for the whole day.
//
//   bench_log_stats --db "host=... dbname=..." [--services 1000] [--days 30] [--runs 50]
//                   [--job-hours 24] [--repeat 5] [--no-windows] [--no-seed]
// Each figure is measured --repeat times (a round: every query --runs times, then the job over
// the day); the rounds are printed and then their median.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "common/log/log.hpp"
#include "common/time/clock.hpp"
#include "hub/api/log_stats_handler.hpp"
#include "hub/logstats/log_stats_job.hpp"
#include "hub/logstats/pg_log_stats_store.hpp"
#include "hub/store/migrations.hpp"
#include "hub/store/pg_connection.hpp"
#include "hub/store/pg_pool.hpp"

using namespace vitals;
using namespace std::chrono_literals;

namespace {

struct Options {
  std::string db;
  int services = 1000;
  int days = 30;
  int runs = 50;
  int job_hours = 24;
  int repeat = 5;       // measured rounds; the median of each figure is printed
  bool windows = true;  // make the window totals first (the job does once an hour)
  bool seed = true;
};

double ms(SteadyTime a, SteadyTime b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void must(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.error().describe().c_str());
    std::exit(1);
  }
}

void run(hub::store::PgConnection& conn, const std::string& sql, const hub::store::PgParams& p,
         const char* what) {
  auto r = conn.exec(sql, p);
  if (!r.ok()) {
    must(r.error(), what);
  }
}

// Hourly rollups for every service and hour of the last `days` days up to the current hour, one
// top message per service and hour, the daily rollups of the whole days (as the job makes them)
// and their executions.
void seedRollups(hub::store::PgConnection& conn, const Options& o, SystemTime now) {
  const SystemTime end = hub::logstats::floorHour(now) + 1h;
  const SystemTime start = end - std::chrono::hours{24 * o.days};
  const hub::store::PgParams p{hub::store::pgTimestamp(start), std::to_string(24 * o.days),
                               std::to_string(o.services)};
  const hub::store::PgParams p2{p[0], p[1]};
  must(conn.execScript("TRUNCATE log_stats, log_top_messages, job_executions"), "truncate");
  run(conn,
      "INSERT INTO log_stats (granularity, period_start, service, results, lines, errors, "
      "warnings, levels) SELECT 'hour', $1::timestamptz + make_interval(hours => h), "
      "'svc-' || lpad(s::text, 5, '0'), 60, 6000 + (s * 7 + h) % 500, (s + h) % 40, "
      "(s * 3 + h) % 90, jsonb_build_object('error', (s + h) % 40, 'warn', (s * 3 + h) % 90, "
      "'info', 5000) FROM generate_series(1, $3::int) s, generate_series(0, $2::int - 1) h",
      p, "seed hourly");
  run(conn,
      "INSERT INTO log_top_messages (granularity, period_start, service, message, count, "
      "first_seen, last_seen) SELECT 'hour', $1::timestamptz + make_interval(hours => h), "
      "'svc-' || lpad(s::text, 5, '0'), 'ERROR job # failed: code ' || (s % 50), 1 + (s + h) % 40, "
      "$1::timestamptz + make_interval(hours => h), $1::timestamptz + make_interval(hours => h, "
      "mins => 59) FROM generate_series(1, $3::int) s, generate_series(0, $2::int - 1) h",
      p, "seed top messages");
  run(conn,
      "INSERT INTO log_stats (granularity, period_start, service, results, lines, errors, "
      "warnings, levels) SELECT 'day', date_trunc('day', period_start, 'UTC'), service, "
      "sum(results), sum(lines), sum(errors), sum(warnings), jsonb_build_object('error', "
      "sum(errors), 'warn', sum(warnings), 'info', sum((levels->>'info')::bigint)) FROM log_stats "
      "WHERE granularity = 'hour' AND period_start >= $1::timestamptz AND period_start < "
      "date_trunc('day', $1::timestamptz + make_interval(hours => $2::int), 'UTC') AND "
      "period_start >= date_trunc('day', $1::timestamptz + interval '1 day' - interval '1 "
      "microsecond', 'UTC') GROUP BY 2, 3",
      p2, "seed daily");
  run(conn,
      "INSERT INTO log_top_messages (granularity, period_start, service, message, count, "
      "first_seen, last_seen) SELECT 'day', date_trunc('day', period_start, 'UTC'), service, "
      "message, sum(count), min(first_seen), max(last_seen) FROM log_top_messages WHERE "
      "granularity = 'hour' AND period_start >= date_trunc('day', $1::timestamptz + interval '1 "
      "day' - interval '1 microsecond', 'UTC') AND period_start < date_trunc('day', "
      "$1::timestamptz + make_interval(hours => $2::int), 'UTC') GROUP BY 2, 3, 4",
      p2, "seed daily top");
  run(conn,
      "INSERT INTO job_executions (job_type, period_start, period_end, started_at, finished_at, "
      "status, rows) SELECT DISTINCT 'log_stats.daily', period_start, period_start + interval "
      "'1 day', now(), now(), 'ok', 0 FROM log_stats WHERE granularity = 'day'",
      {}, "seed executions");
  must(conn.execScript("ANALYZE log_stats; ANALYZE log_top_messages; ANALYZE job_executions"),
       "analyze");
}

// One `log` result a minute per service over `hours` hours before `end`.
void seedRaw(hub::store::PgConnection& conn, const Options& o, SystemTime end) {
  const SystemTime start = end - std::chrono::hours{o.job_hours};
  run(conn,
      "INSERT INTO health_checks (agent_id, boot_id, seq, service, check_name, kind, status, "
      "raw_status, latency_us, details, observed_at, received_at) SELECT 'a-' || s, 'b', m + 1, "
      "'svc-' || lpad(s::text, 5, '0'), 'app-log', 'log', 'healthy', 'healthy', 100, "
      "jsonb_build_object('lines', (100 + (s + m) % 50)::text, 'count.error', ((s + m) % "
      "7)::text, 'count.warn', ((s * 3 + m) % 11)::text, 'count.info', '90', 'top.1', "
      "((s + m) % 7 + 1)::text || 'x ERROR job # failed: code ' || (s % 13), 'top.2', '2x WARN "
      "slow request to #', 'offset', (m * 1000)::text), $1::timestamptz + make_interval(mins => "
      "m), $1::timestamptz + make_interval(mins => m) FROM generate_series(1, $2::int) s, "
      "generate_series(0, $3::int * 60 - 1) m",
      {hub::store::pgTimestamp(start), std::to_string(o.services), std::to_string(o.job_hours)},
      "seed health_checks");
  must(conn.execScript("ANALYZE health_checks"), "analyze");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--db") {
      o.db = next();
    } else if (a == "--services") {
      o.services = std::atoi(next().c_str());
    } else if (a == "--days") {
      o.days = std::atoi(next().c_str());
    } else if (a == "--runs") {
      o.runs = std::atoi(next().c_str());
    } else if (a == "--job-hours") {
      o.job_hours = std::atoi(next().c_str());
    } else if (a == "--repeat") {
      o.repeat = std::atoi(next().c_str());
    } else if (a == "--no-windows") {
      o.windows = false;
    } else if (a == "--no-seed") {
      o.seed = false;
    } else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (o.db.empty() || o.services < 1 || o.days < 1 || o.runs < 1 || o.job_hours < 1 ||
      o.repeat < 1) {
    std::fprintf(stderr,
                 "usage: bench_log_stats --db CONNINFO [--services N] [--days D] "
                 "[--runs R] [--job-hours H] [--no-seed]\n");
    return 2;
  }
  auto logger = log::makeLogger("bench", log::LogOptions{"warn", log::Format::Text});
  SystemClock clock;
  hub::store::PgConnectOptions pg;
  pg.conninfo = o.db;
  auto conn = hub::store::PgConnection::connect(pg, logger);
  if (!conn.ok()) {
    must(conn.error(), "connect");
  }
  auto migrations = hub::store::parseMigrations(hub::store::embeddedSchemaFiles());
  if (!migrations.ok()) {
    must(migrations.error(), "schema");
  }
  if (auto m = hub::store::migrate(*conn.value(), migrations.value(), *logger); !m.ok()) {
    must(m.error(), "migrate");
  }
  const SystemTime now = clock.now();
  if (o.seed) {
    const auto t = clock.steadyNow();
    seedRollups(*conn.value(), o, now);
    std::printf("seeded %d services x %d days of hourly rollups: %.1f s\n", o.services, o.days,
                ms(t, clock.steadyNow()) / 1000.0);
  }

  hub::store::PgPool pool(pg, 2, logger);
  hub::logstats::PgLogStatsStore store(pool);
  hub::logstats::PgThresholdStore thresholds(pool);
  hub::api::LogStatsHandler handler(store, thresholds, {}, clock);
  // The hourly job's day of raw results, in hours that hold no rollups.
  const SystemTime raw_end = hub::logstats::floorDay(now) - std::chrono::hours{24 * (o.days + 2)};
  if (o.seed) {
    const auto t = clock.steadyNow();
    seedRaw(*conn.value(), o, raw_end);
    std::printf("seeded %d log results (%d services x %d h x 60): %.1f s\n",
                o.services * o.job_hours * 60, o.services, o.job_hours,
                ms(t, clock.steadyNow()) / 1000.0);
  }
  hub::logstats::LogStatsJob job(store, clock, {}, "bench", logger);
  // What the job does once an hour: the window totals the API reads (without them the API sums
  // the rollups; --no-windows measures that).
  if (o.windows) {
    const auto t = clock.steadyNow();
    must(store.refreshWindows(hub::logstats::floorHour(clock.now())), "window totals");
    std::printf("window totals (once an hour, by the job): %.2f s\n",
                ms(t, clock.steadyNow()) / 1000.0);
  } else {
    auto lease = pool.acquire(5s);
    if (!lease.ok() || !lease->conn().execScript("DELETE FROM log_stats_window_bases").ok()) {
      std::fprintf(stderr, "cannot drop the window totals\n");
      return 1;
    }
  }

  std::map<std::string, std::vector<double>> rounds;  // figure -> one value per round
  std::map<std::string, std::string> sizes;
  for (int round = 1; round <= o.repeat; ++round) {
    for (const char* window : {"30d", "7d", "24h"}) {
      for (const bool top : {false, true}) {
        hub::api::ApiRequest req;
        req.method = "GET";
        req.query = {{"window", window}};
        std::vector<double> times;
        std::size_t items = 0;
        for (int i = 0; i < o.runs + 2; ++i) {
          const auto t = clock.steadyNow();
          const auto r = top ? handler.topErrors(req) : handler.stats(req);
          const double took = ms(t, clock.steadyNow());
          if (r.status != 200) {
            std::fprintf(stderr, "%s %s: HTTP %d %s\n", top ? "top-errors" : "stats", window,
                         r.status, r.body.dump().c_str());
            return 1;
          }
          items = top ? r.body["top_errors"].size() : r.body["services"].size();
          if (i >= 2) {  // the first two warm the caches and the connections
            times.push_back(took);
          }
        }
        const std::string name = std::string(top ? "top-errors" : "stats") + " window " + window;
        sizes[name] = std::to_string(items) + (top ? " messages" : " services");
        rounds[name + " p50 ms"].push_back(pct(times, 0.5));
        rounds[name + " p99 ms"].push_back(pct(times, 0.99));
        std::printf("round %d: %-21s (%s, %d runs): p50 %.1f ms, p99 %.1f ms\n", round,
                    name.c_str(), sizes[name].c_str(), o.runs, pct(times, 0.5), pct(times, 0.99));
      }
    }
    std::vector<double> hours;
    const auto all = clock.steadyNow();
    for (int h = o.job_hours; h > 0; --h) {
      const auto t = clock.steadyNow();
      must(job.runPeriod(hub::logstats::Granularity::Hour, raw_end - std::chrono::hours{h}),
           "hourly job");
      hours.push_back(ms(t, clock.steadyNow()));
    }
    const double total = ms(all, clock.steadyNow()) / 1000.0;
    const auto day = clock.steadyNow();
    if (o.job_hours == 24) {
      must(job.runPeriod(hub::logstats::Granularity::Day, raw_end - 24h), "daily job");
    }
    const double day_ms = ms(day, clock.steadyNow());
    rounds["hourly job, whole day s"].push_back(total);
    rounds["hourly job, one hour p50 ms"].push_back(pct(hours, 0.5));
    rounds["hourly job, one hour max ms"].push_back(pct(hours, 1.0));
    rounds["daily rollup ms"].push_back(day_ms);
    std::printf(
        "round %d: hourly job, %d services x 60 results/h: %d hours in %.2f s (per hour "
        "p50 %.0f ms, max %.0f ms); daily rollup of them %.0f ms\n",
        round, o.services, o.job_hours, total, pct(hours, 0.5), pct(hours, 1.0), day_ms);
  }
  std::printf("median of %d rounds:\n", o.repeat);
  for (const auto& [name, values] : rounds) {
    std::printf("  %-32s %.2f\n", name.c_str(), pct(values, 0.5));
  }
  return 0;
}
