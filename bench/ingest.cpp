// bench/ingest: the hub's ingest rate versus the raw COPY rate of the same PostgreSQL for the
// same rows, in one run. Prints both and the ratio. Two modes:
//   live  (default) the hub runs while the publishers publish: publish -> JetStream -> hub ->
//         PostgreSQL commit, timed from the first publish to the last commit; publishers,
//         nats-server, hub and PostgreSQL share the CPUs.
//   drain the hub is stopped while every message is published into the stream; then this
//         program starts the hub (--hub-cmd) and times the backlog drain: from the first commit
//         to the last (the rate of the hub alone), and from the hub's launch (startup included).
// Run it through bench/run-ingest.sh, which starts the servers and the hub.
#include <httplib.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_args.hpp"
#include "common/model/codec.hpp"
#include "common/nats/nats_client.hpp"
#include "common/nats/subjects.hpp"
#include "common/random/random.hpp"

using namespace vitals;
using BenchClock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string nats = "nats://127.0.0.1:4222";
  std::string db;
  int hub_port = 0;
  int hub_pid = 0;
  long results = 200000;
  int per_batch = 20;
  int publishers = 2;
  std::string mode = "live";
  std::string hub_cmd;  // drain: shell command that starts the hub (exec'd, so its pid is ours)
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "bench_ingest: %s\nusage: bench_ingest --db CONNINFO --hub-port P [--nats URL] "
               "[--results N] [--per-batch K] [--publishers T] [--hub-pid PID]\n"
               "       [--mode live|drain] [--hub-cmd 'exec vitals-hub ...' (drain)]\n",
               msg);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return bench::argValue(i, argc, argv, usage); };
    if (a == "--nats")
      o.nats = next();
    else if (a == "--db")
      o.db = next();
    else if (a == "--hub-port")
      o.hub_port = std::stoi(next());
    else if (a == "--hub-pid")
      o.hub_pid = std::stoi(next());
    else if (a == "--results")
      o.results = std::stol(next());
    else if (a == "--per-batch")
      o.per_batch = std::stoi(next());
    else if (a == "--publishers")
      o.publishers = std::stoi(next());
    else if (a == "--mode")
      o.mode = next();
    else if (a == "--hub-cmd")
      o.hub_cmd = next();
    else
      usage(("unknown argument " + a).c_str());
  }
  if (o.db.empty() || o.hub_port == 0) usage("--db and --hub-port are required");
  if (o.mode != "live" && o.mode != "drain") usage("--mode must be live or drain");
  if (o.mode == "drain" && o.hub_cmd.empty()) usage("--mode drain needs --hub-cmd");
  return o;
}

double hubMetric(int port, const std::string& name) {
  httplib::Client cli("127.0.0.1", port);
  auto res = cli.Get("/metrics");
  if (!res || res->status != 200) return -1;
  std::istringstream in(res->body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

long rssKb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

CheckResult makeResult(const std::string& agent, const std::string& boot, std::uint64_t seq,
                       SystemTime now) {
  CheckResult r;
  r.agent_id = agent;
  r.boot_id = boot;
  r.seq = seq;
  r.service = "svc-" + std::to_string(seq % 50);
  r.check = "check-" + std::to_string(seq % 200);
  r.kind = (seq % 2) ? "http" : "tcp";
  r.status = HealthStatus::Healthy;
  r.raw_status = HealthStatus::Healthy;
  r.latency = std::chrono::microseconds{500 + static_cast<long>(seq % 1000)};
  r.message = "HTTP 200 in 1 ms";
  r.details = {{"http.status", "200"}};
  r.observed_at = now;
  return r;
}

struct PgConn {
  PGconn* c;
  explicit PgConn(const std::string& info) : c(PQconnectdb(info.c_str())) {
    if (PQstatus(c) != CONNECTION_OK) {
      std::fprintf(stderr, "postgres: %s", PQerrorMessage(c));
      std::exit(1);
    }
    PQsetNoticeProcessor(
        c, [](void*, const char*) {}, nullptr);
  }
  ~PgConn() { PQfinish(c); }
  void exec(const std::string& sql) {
    PGresult* r = PQexec(c, sql.c_str());
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      std::fprintf(stderr, "%s: %s", sql.c_str(), PQresultErrorMessage(r));
      std::exit(1);
    }
    PQclear(r);
  }
  std::vector<std::pair<std::string, std::string>> columns(const std::string& table) {
    const std::string sql =
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '" +
        table + "' ORDER BY ordinal_position";
    PGresult* r = PQexec(c, sql.c_str());
    std::vector<std::pair<std::string, std::string>> out;
    for (int i = 0; i < PQntuples(r); ++i)
      out.emplace_back(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
    PQclear(r);
    return out;
  }
};

// One COPY text line for the raw table, derived from the same result the hub got.
std::string copyValue(const CheckResult& r, const std::string& col, const std::string& type,
                      const std::string& ts) {
  if (col == "agent_id") return r.agent_id;
  if (col == "boot_id") return r.boot_id;
  if (col == "seq") return std::to_string(r.seq);
  if (col == "service") return r.service;
  if (col == "check_name" || col == "check") return r.check;
  if (col == "kind") return r.kind;
  if (col == "message") return r.message;
  if (col == "latency_us") return std::to_string(r.latency.count());
  if (col == "observed_at" || col == "received_at") return ts;
  if (col == "details") return "{\"http.status\": \"200\"}";
  if (type == "text" || type == "character varying") return "healthy";
  if (type == "boolean") return "f";
  if (type == "jsonb" || type == "json") return "{}";
  if (type.find("timestamp") != std::string::npos) return ts;
  if (type == "smallint" || type == "integer" || type == "bigint" || type == "numeric" ||
      type == "double precision" || type == "real")
    return "1";
  return "\\N";
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  StdRandom random;
  const auto now = std::chrono::system_clock::now();
  const long per_pub = o.results / o.publishers;
  const long total = per_pub * o.publishers;

  // Pre-encode every batch so the timed part is publish + ingest only.
  struct Pub {
    std::string agent, boot;
    std::vector<std::pair<std::string, std::string>> msgs;  // (msg id, payload)
  };
  std::vector<Pub> pubs(static_cast<std::size_t>(o.publishers));
  std::vector<CheckResult> all;
  all.reserve(static_cast<std::size_t>(total));
  for (int p = 0; p < o.publishers; ++p) {
    auto& pub = pubs[static_cast<std::size_t>(p)];
    pub.agent = "bench-" + std::to_string(p);
    pub.boot = random.hexId();
    for (long first = 1; first <= per_pub; first += o.per_batch) {
      ResultBatch b{pub.agent, pub.boot, {}};
      for (long s = first; s < first + o.per_batch && s <= per_pub; ++s) {
        b.results.push_back(makeResult(pub.agent, pub.boot, static_cast<std::uint64_t>(s), now));
        all.push_back(b.results.back());
      }
      pub.msgs.emplace_back(codec::batchMessageId(b), codec::encodeBatch(b));
    }
  }

  const bool drain = o.mode == "drain";
  const double base =
      drain ? 0.0 : std::max(0.0, hubMetric(o.hub_port, "vitals_ingest_results_total"));
  std::atomic<long> failed{0};
  const auto t0 = BenchClock::now();
  std::vector<std::thread> threads;
  for (auto& pub : pubs) {
    threads.emplace_back([&, &pub = pub] {
      nats::ConnectOptions co;
      co.url = o.nats;
      co.name = "bench-publisher";
      auto conn = nats::Connection::connect(co);
      if (!conn.ok()) {
        failed += static_cast<long>(pub.msgs.size());
        return;
      }
      for (int i = 0; i < 100 && !conn.value()->connected(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
      }
      const auto subject = subjects::agentResults(pub.agent);
      for (const auto& [id, payload] : pub.msgs) {
        bool ok = false;
        for (int attempt = 0; attempt < 20 && !ok; ++attempt) {
          ok = conn.value()->jsPublish(subject, payload, id, std::chrono::seconds{5}).ok();
        }
        if (!ok) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto t_published = BenchClock::now();
  if (failed > 0) {
    std::fprintf(stderr, "bench_ingest: %ld publishes failed\n", failed.load());
    return 1;
  }

  // Drain: the backlog is in the stream; start the hub now.
  int hub_pid = o.hub_pid;
  BenchClock::time_point t_launch{};
  if (drain) {
    t_launch = BenchClock::now();
    const pid_t pid = fork();
    if (pid == 0) {
      execl("/bin/sh", "sh", "-c", o.hub_cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    if (pid < 0) {
      std::perror("fork");
      return 1;
    }
    hub_pid = pid;
  }
  struct StopHub {
    int pid;
    bool own;
    ~StopHub() {
      if (own && pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, nullptr, 0);
      }
    }
  } stop_hub{hub_pid, drain};

  long peak_rss = hub_pid ? rssKb(hub_pid) : -1;
  std::optional<BenchClock::time_point> t_first;  // drain: first commit seen
  double at_first = 0;
  const auto poll = drain ? std::chrono::milliseconds{2} : std::chrono::milliseconds{10};
  for (;;) {
    const double committed = hubMetric(o.hub_port, "vitals_ingest_results_total") - base;
    if (drain && !t_first && committed > 0) {
      t_first = BenchClock::now();
      at_first = committed;
    }
    if (committed >= static_cast<double>(total)) break;
    if (BenchClock::now() - t0 > std::chrono::minutes{10}) {
      std::fprintf(stderr, "bench_ingest: hub did not commit everything within 10 minutes\n");
      return 1;
    }
    if (hub_pid) peak_rss = std::max(peak_rss, rssKb(hub_pid));
    std::this_thread::sleep_for(poll);
  }
  const auto t_done = BenchClock::now();
  const double pub_s = std::chrono::duration<double>(t_published - t0).count();
  // live: first publish -> last commit. drain: first commit -> last commit, for the rows
  // committed in between (the first commit's rows are not in the window).
  double hub_s = std::chrono::duration<double>(t_done - t0).count();
  double hub_rows = static_cast<double>(total);
  if (drain) {
    if (!t_first || *t_first >= t_done) {
      t_first = t_launch;  // everything came in one commit: fall back to the launch
      at_first = 0;
    }
    hub_s = std::chrono::duration<double>(t_done - *t_first).count();
    hub_rows = static_cast<double>(total) - at_first;
  }
  const double launch_s = std::chrono::duration<double>(t_done - t_launch).count();

  // Raw COPY of the same rows into an equivalent (partitioned, uniquely indexed) table.
  PgConn pg(o.db);
  pg.exec("DROP TABLE IF EXISTS bench_raw");
  // Same columns, defaults and indexes (the unique event key and the history index) as
  // health_checks, partitioned the same way: the raw rate is for the same work minus vitals.
  pg.exec(
      "CREATE TABLE bench_raw (LIKE health_checks INCLUDING DEFAULTS INCLUDING INDEXES) "
      "PARTITION BY RANGE (observed_at)");
  pg.exec(
      "CREATE TABLE bench_raw_p PARTITION OF bench_raw FOR VALUES FROM (now() - interval '2 days') "
      "TO (now() + interval '2 days')");
  const auto cols = pg.columns("bench_raw");
  std::string col_list;
  for (const auto& [c, t] : cols) col_list += (col_list.empty() ? "" : ",") + c;
  char ts[64];
  {
    const std::time_t tt = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    std::strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S+00", &tm);
  }
  std::vector<std::string> lines;
  lines.reserve(all.size());
  for (const auto& r : all) {
    std::string line;
    for (std::size_t i = 0; i < cols.size(); ++i) {
      if (i) line += '\t';
      line += copyValue(r, cols[i].first, cols[i].second, ts);
    }
    line += '\n';
    lines.push_back(std::move(line));
  }
  const auto c0 = BenchClock::now();
  pg.exec("BEGIN");
  PGresult* r = PQexec(pg.c, ("COPY bench_raw (" + col_list + ") FROM STDIN").c_str());
  if (PQresultStatus(r) != PGRES_COPY_IN) {
    std::fprintf(stderr, "COPY: %s", PQresultErrorMessage(r));
    return 1;
  }
  PQclear(r);
  for (const auto& line : lines) PQputCopyData(pg.c, line.data(), static_cast<int>(line.size()));
  PQputCopyEnd(pg.c, nullptr);
  while ((r = PQgetResult(pg.c)) != nullptr) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      std::fprintf(stderr, "COPY: %s", PQresultErrorMessage(r));
      return 1;
    }
    PQclear(r);
  }
  pg.exec("COMMIT");
  const double copy_s = std::chrono::duration<double>(BenchClock::now() - c0).count();
  pg.exec("DROP TABLE bench_raw");

  const double hub_rate = hub_rows / hub_s;
  const double copy_rate = static_cast<double>(total) / copy_s;
  std::printf("mode                 %s\n", o.mode.c_str());
  std::printf("results              %ld (%d per message, %d publishers)\n", total, o.per_batch,
              o.publishers);
  std::printf("publish done after   %.2f s%s\n", pub_s, drain ? " (hub stopped)" : "");
  if (drain) {
    std::printf(
        "hub drain            %.2f s  %.0f results/s (first commit -> last commit, %.0f rows)\n",
        hub_s, hub_rate, hub_rows);
    std::printf("hub from launch      %.2f s  %.0f results/s (startup included)\n", launch_s,
                static_cast<double>(total) / launch_s);
  } else {
    std::printf(
        "hub end-to-end       %.2f s  %.0f results/s (publish -> JetStream -> hub -> commit)\n",
        hub_s, hub_rate);
  }
  std::printf(
      "raw COPY, same rows  %.2f s  %.0f rows/s (one COPY, one transaction, same indexes)\n",
      copy_s, copy_rate);
  std::printf("ratio hub/raw        %.2f (%s)\n", hub_rate / copy_rate, o.mode.c_str());
  if (peak_rss > 0)
    std::printf("hub peak RSS         %.1f MB\n", static_cast<double>(peak_rss) / 1024.0);
  return 0;
}
