// Scale: many simulated agents against one hub.
//
// `--agents` agents (default 10,000), each with `--checks` checks (10) reporting every
// `--period-ms` (10 s), multiplexed over `--connections` NATS connections (100): every agent
// keeps its own id, boot, subjects, registration, heartbeat and seq numbering, so the hub does
// exactly the per-agent work it does for real agents; only the TCP connections are shared
// (NATS.c runs threads per connection, which one process cannot afford 10,000 times).
//
// Phases and what is printed:
//   1. registration storm: every agent publishes its Registration at once; time until the hub
//      has committed all of them (agents table) and its API lists all services;
//   2. sustained load for `--sustain-s`: results/s published and stored, ingest lag
//      (observed_at -> received_at in health_checks; and the hub's lag gauge, sampled),
//      hub CPU and RSS (/proc of `--hub-pid`), API p50/p99 of /summary and /services?limit=100;
//   3. `--vanish` agents (1,000) stop at once: time from their last heartbeat to the grouped
//      "agents unreachable" incident, per-agent detection time, and the incidents and
//      notifications produced (goal: 1 grouped incident, 1 notification, 0 service pages).
//   bench/run-scale.sh [--agents 10000 --connections 100 --sustain-s 60 --vanish 1000]
#include <httplib.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_args.hpp"
#include "common/model/codec.hpp"
#include "common/nats/nats_client.hpp"
#include "common/nats/subjects.hpp"
#include "common/random/random.hpp"
#include "sim_agent.hpp"

using namespace vitals;
using Wall = std::chrono::system_clock;
using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

struct Options {
  std::string nats, hub, key, pg;
  int hub_pid = 0;
  int receiver_port = 0;
  int agents = 10000;
  int checks = 10;
  int connections = 100;
  milliseconds period{10000};
  int sustain_s = 60;
  int vanish = 1000;
  int api_interval_ms = 100;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "bench_scale: %s\nusage: bench_scale --nats URL --hub URL --key KEY --pg CONNINFO "
               "--hub-pid PID --receiver-port N [--agents 10000] [--checks 10] "
               "[--connections 100] [--period-ms 10000] [--sustain-s 60] [--vanish 1000] "
               "[--api-interval-ms 100]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return bench::argValue(i, argc, argv, usage); };
    auto number = [&] { return static_cast<int>(bench::argNumber(i, argc, argv, usage)); };
    if (a == "--nats")
      o.nats = next();
    else if (a == "--hub")
      o.hub = next();
    else if (a == "--key")
      o.key = next();
    else if (a == "--pg")
      o.pg = next();
    else if (a == "--hub-pid")
      o.hub_pid = number();
    else if (a == "--receiver-port")
      o.receiver_port = number();
    else if (a == "--agents")
      o.agents = number();
    else if (a == "--checks")
      o.checks = number();
    else if (a == "--connections")
      o.connections = number();
    else if (a == "--period-ms")
      o.period = milliseconds{number()};
    else if (a == "--sustain-s")
      o.sustain_s = number();
    else if (a == "--vanish")
      o.vanish = number();
    else if (a == "--api-interval-ms")
      o.api_interval_ms = number();
    else
      usage(("unknown argument " + a).c_str());
  }
  if (o.nats.empty() || o.hub.empty() || o.key.empty() || o.pg.empty() || o.hub_pid == 0 ||
      o.receiver_port == 0) {
    usage("--nats, --hub, --key, --pg, --hub-pid and --receiver-port are required");
  }
  if (o.agents < 1 || o.checks < 1 || o.connections < 1 || o.connections > o.agents) {
    usage("need --agents >= --connections >= 1 and --checks >= 1");
  }
  if (o.vanish < 0 || o.vanish >= o.agents) usage("--vanish must be in [0, --agents)");
  if (o.period.count() < 100 || o.sustain_s < 1) usage("--period-ms >= 100, --sustain-s >= 1");
  return o;
}

double seconds(Steady::duration d) { return std::chrono::duration<double>(d).count(); }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

// A small libpq session for reading what the hub wrote.
class Pg {
 public:
  explicit Pg(const std::string& info) : c_(PQconnectdb(info.c_str())) {
    if (PQstatus(c_) != CONNECTION_OK) {
      std::fprintf(stderr, "bench_scale: postgres: %s", PQerrorMessage(c_));
      std::exit(1);
    }
  }
  ~Pg() { PQfinish(c_); }
  Pg(const Pg&) = delete;
  Pg& operator=(const Pg&) = delete;
  // Rows of text cells; exits on error (a benchmark has nobody to hand the error to).
  std::vector<std::vector<std::string>> rows(const std::string& sql) {
    PGresult* r = PQexec(c_, sql.c_str());
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      std::fprintf(stderr, "bench_scale: %s: %s", sql.c_str(), PQresultErrorMessage(r));
      PQclear(r);
      std::exit(1);
    }
    std::vector<std::vector<std::string>> out;
    for (int i = 0; i < PQntuples(r); ++i) {
      auto& row = out.emplace_back();
      for (int j = 0; j < PQnfields(r); ++j) row.emplace_back(PQgetvalue(r, i, j));
    }
    PQclear(r);
    return out;
  }
  std::string one(const std::string& sql) {
    auto r = rows(sql);
    return r.empty() || r[0].empty() ? "" : r[0][0];
  }
  double number(const std::string& sql) {
    const auto s = one(sql);
    return s.empty() ? 0.0 : std::stod(s);
  }

 private:
  PGconn* c_;
};

std::string sqlTime(Wall::time_point t) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch());
  return "to_timestamp(" + std::to_string(static_cast<double>(us.count()) / 1e6) + ")";
}

// Hub process figures from /proc.
struct ProcSample {
  double cpu_s = 0;  // utime + stime
  double rss_mb = 0;
};
ProcSample sampleProc(int pid) {
  ProcSample s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  const auto close = text.rfind(')');
  if (close != std::string::npos) {
    std::vector<std::string> f;
    std::string cur;
    for (char ch : text.substr(close + 2)) {
      if (ch == ' ') {
        f.push_back(cur);
        cur.clear();
      } else {
        cur += ch;
      }
    }
    // Fields after the name start at field 3 (state): utime is field 14, stime 15.
    if (f.size() > 13) {
      s.cpu_s = (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_mb = std::stod(line.substr(6)) / 1024.0;
  }
  return s;
}

// One simulated agent: its own identity, boot, seq numbering and subjects.
struct SimAgent {
  std::string id, boot;
  std::vector<std::string> services;
  std::uint64_t seq = 0;
  std::uint64_t heartbeats = 0;
  Steady::duration phase{};
  std::atomic<bool> vanished{false};
  std::atomic<std::int64_t> last_heartbeat_us{0};  // wall clock of the last acked heartbeat
};

struct Counters {
  std::atomic<long> registered_published{0};
  std::atomic<long> results{0};
  std::atomic<long> batches{0};
  std::atomic<long> heartbeats{0};
  std::atomic<long> failed{0};
  std::atomic<long> late{0};  // cycles started more than one second after they were due
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  StdRandom random;

  // The webhook receiver: every notification the hub sends.
  std::mutex rx_mu;
  std::vector<std::pair<Wall::time_point, std::string>> notices;
  httplib::Server rx;
  rx.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(rx_mu);
    notices.emplace_back(Wall::now(), req.body);
    res.set_content("ok", "text/plain");
  });
  if (!rx.bind_to_port("127.0.0.1", o.receiver_port)) {
    std::fprintf(stderr, "bench_scale: cannot listen on %d\n", o.receiver_port);
    return 1;
  }
  std::thread rx_thread([&] { rx.listen_after_bind(); });

  std::vector<std::unique_ptr<SimAgent>> agents;
  agents.reserve(static_cast<std::size_t>(o.agents));
  for (int i = 0; i < o.agents; ++i) {
    auto a = std::make_unique<SimAgent>();
    char id[32];
    std::snprintf(id, sizeof id, "scale-%05d", i);
    a->id = id;
    a->boot = random.hexId();
    for (int c = 0; c < o.checks; ++c) a->services.push_back(a->id + "-svc-" + std::to_string(c));
    agents.push_back(std::move(a));
  }

  Pg pg(o.pg);
  Counters n;
  std::atomic<bool> stop{false};
  const auto period = std::chrono::duration_cast<Steady::duration>(o.period);

  // Connections: agent i talks over connection i % connections. Each connection thread
  // registers its agents as fast as it can (the storm), then runs their cycles, each agent at
  // its own phase within the period: a ResultBatch of all its checks, then a Heartbeat.
  std::barrier start_line(o.connections + 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < o.connections; ++t) {
    threads.emplace_back([&, t] {
      auto conn = bench::connectOrExit(o.nats, "bench-scale", "bench_scale");
      std::vector<SimAgent*> mine;
      for (int i = t; i < o.agents; i += o.connections) {
        mine.push_back(agents[static_cast<std::size_t>(i)].get());
      }
      for (std::size_t k = 0; k < mine.size(); ++k) {
        mine[k]->phase = period * static_cast<long>(k) / static_cast<long>(mine.size()) +
                         period * t / (o.connections * static_cast<long>(mine.size()));
      }
      start_line.arrive_and_wait();
      for (auto* a : mine) {
        Registration reg;
        reg.agent_id = a->id;
        reg.boot_id = a->boot;
        reg.hostname = a->id + ".bench";
        reg.version = "bench";
        reg.sent_at = Wall::now();
        for (const auto& s : a->services) {
          CheckSpec c;
          c.name = s;
          c.service = s;
          c.kind = "http";
          c.target = "http://127.0.0.1:9/" + s;
          c.interval = o.period;
          c.timeout = milliseconds{2000};
          reg.checks.push_back(c);
        }
        if (bench::publishWithRetry(*conn, subjects::agentRegister(a->id),
                                    codec::encodeRegistration(reg),
                                    a->id + "." + a->boot + ".reg.1")) {
          ++n.registered_published;
        } else {
          ++n.failed;
        }
      }
      const auto cycle0 = Steady::now();
      for (long cycle = 0; !stop; ++cycle) {
        for (auto* a : mine) {
          const auto due = cycle0 + period * cycle + a->phase;
          while (!stop && Steady::now() < due) {
            std::this_thread::sleep_for(
                std::min<Steady::duration>(due - Steady::now(), milliseconds{50}));
          }
          if (stop) break;
          if (a->vanished) continue;
          if (Steady::now() - due > std::chrono::seconds{1}) ++n.late;
          ResultBatch b{a->id, a->boot, {}};
          for (const auto& s : a->services) {
            b.results.push_back(
                bench::simResult(a->id, a->boot, ++a->seq, s, s, HealthStatus::Healthy));
          }
          if (bench::publishWithRetry(*conn, subjects::agentResults(a->id), codec::encodeBatch(b),
                                      codec::batchMessageId(b))) {
            n.results += static_cast<long>(b.results.size());
            ++n.batches;
          } else {
            ++n.failed;
          }
          const auto hb = bench::simHeartbeat(a->id, a->boot, o.period, a->seq,
                                              static_cast<std::uint32_t>(a->services.size()));
          if (bench::publishWithRetry(*conn, subjects::agentHeartbeat(a->id),
                                      codec::encodeHeartbeat(hb),
                                      bench::heartbeatId(a->id, a->boot, ++a->heartbeats))) {
            ++n.heartbeats;
            a->last_heartbeat_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                       Wall::now().time_since_epoch())
                                       .count();
          } else {
            ++n.failed;
          }
        }
      }
    });
  }

  // ---- 1. Registration storm.
  std::printf("agents %d x %d checks every %.0f s over %d NATS connections (%d agents each)\n",
              o.agents, o.checks, seconds(period), o.connections, o.agents / o.connections);
  const auto storm_wall = Wall::now();
  const auto storm_t0 = Steady::now();
  start_line.arrive_and_wait();
  double published_s = -1;
  double committed_s = -1;
  const auto storm_deadline = storm_t0 + std::chrono::seconds{120};
  while (Steady::now() < storm_deadline) {
    if (published_s < 0 && n.registered_published + n.failed >= o.agents) {
      published_s = seconds(Steady::now() - storm_t0);
    }
    const auto registered = pg.number("SELECT count(*) FROM agents WHERE registered_at >= " +
                                      sqlTime(storm_wall - std::chrono::seconds{1}));
    if (registered >= o.agents) {
      committed_s = seconds(Steady::now() - storm_t0);
      break;
    }
    std::this_thread::sleep_for(milliseconds{100});
  }
  httplib::Client api(o.hub);
  api.set_bearer_token_auth(o.key);
  api.set_read_timeout(std::chrono::seconds{30});
  double api_all_s = -1;
  long api_services = 0;
  while (Steady::now() < storm_deadline) {
    auto res = api.Get("/api/v1/summary");
    if (res && res->status == 200) {
      const auto body = nlohmann::json::parse(res->body, nullptr, false);
      api_services = body.is_object() ? body["services"].value("total", 0L) : 0L;
      if (api_services >= static_cast<long>(o.agents) * o.checks) {
        api_all_s = seconds(Steady::now() - storm_t0);
        break;
      }
    }
    std::this_thread::sleep_for(milliseconds{100});
  }
  std::printf(
      "registration storm     published %.1f s, all %d committed by the hub %.1f s, "
      "API lists all %d services %.1f s (%ld failed publishes)\n",
      published_s, o.agents, committed_s, o.agents * o.checks, api_all_s, n.failed.load());
  if (committed_s < 0 || api_all_s < 0) {
    std::printf("registration storm     DID NOT FINISH within 120 s (hub lists %ld services)\n",
                api_services);
  }

  // ---- 2. Sustained load: one period to settle, then measure.
  std::this_thread::sleep_for(period);
  std::vector<double> summary_ms, services_ms;
  std::atomic<bool> api_stop{false};
  std::thread api_thread([&] {
    httplib::Client c(o.hub);
    c.set_bearer_token_auth(o.key);
    c.set_read_timeout(std::chrono::seconds{30});
    for (int i = 0; !api_stop; ++i) {
      const auto t0 = Steady::now();
      const bool summary = i % 2 == 0;
      auto res = c.Get(summary ? "/api/v1/summary" : "/api/v1/services?limit=100");
      const double ms = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
      if (res && res->status == 200) (summary ? summary_ms : services_ms).push_back(ms);
      std::this_thread::sleep_for(milliseconds{o.api_interval_ms});
    }
  });
  std::vector<double> lag_gauge;
  double rss_max = 0;
  const auto proc0 = sampleProc(o.hub_pid);
  const long results0 = n.results.load();
  const long late0 = n.late.load();
  const auto sus_wall0 = Wall::now();
  const auto sus_t0 = Steady::now();
  httplib::Client metrics(o.hub);
  int ticks = 0;
  metrics.set_bearer_token_auth(o.key);
  while (Steady::now() - sus_t0 < std::chrono::seconds{o.sustain_s}) {
    rss_max = std::max(rss_max, sampleProc(o.hub_pid).rss_mb);
    // /metrics renders a series per service (100,000 here): sampled every 5 s, not more.
    if (++ticks % 10 == 1) {
      auto res = metrics.Get("/metrics");
      const auto at = res && res->status == 200 ? res->body.find("\nvitals_ingest_lag_seconds ")
                                                : std::string::npos;
      if (at != std::string::npos) lag_gauge.push_back(std::stod(res->body.substr(at + 27)));
    }
    std::this_thread::sleep_for(milliseconds{500});
  }
  const double sus_s = seconds(Steady::now() - sus_t0);
  const auto sus_wall1 = Wall::now();
  const auto proc1 = sampleProc(o.hub_pid);
  const long published = n.results.load() - results0;
  api_stop = true;
  api_thread.join();
  std::this_thread::sleep_for(std::chrono::seconds{2});  // the window's last results land
  const std::string window =
      "observed_at >= " + sqlTime(sus_wall0) + " AND observed_at < " + sqlTime(sus_wall1);
  const auto lag = pg.rows(
      "SELECT count(*), "
      "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM received_at - "
      "observed_at)) * 1000, "
      "percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM received_at - "
      "observed_at)) * 1000, "
      "max(extract(epoch FROM received_at - observed_at)) * 1000 FROM health_checks WHERE " +
      window);
  const double stored = std::stod(lag[0][0]);
  std::printf(
      "sustained (%.0f s)      %.0f results/s published, %.0f results/s stored "
      "(%ld cycles late > 1 s)\n",
      sus_s, static_cast<double>(published) / sus_s, stored / sus_s, n.late.load() - late0);
  std::printf(
      "ingest lag             observed -> received p50 %.0f ms  p99 %.0f ms  max %.0f ms; "
      "hub lag gauge (oldest result of a batch -> commit, %zu samples) p50 %.0f ms  "
      "p99 %.0f ms\n",
      lag[0][1].empty() ? 0.0 : std::stod(lag[0][1]),
      lag[0][2].empty() ? 0.0 : std::stod(lag[0][2]),
      lag[0][3].empty() ? 0.0 : std::stod(lag[0][3]), lag_gauge.size(),
      percentile(lag_gauge, 0.5) * 1000, percentile(lag_gauge, 0.99) * 1000);
  std::printf(
      "hub                    CPU %.0f%% of one core (%.2f of %ld cores), RSS max %.0f MB\n",
      100.0 * (proc1.cpu_s - proc0.cpu_s) / sus_s, (proc1.cpu_s - proc0.cpu_s) / sus_s,
      sysconf(_SC_NPROCESSORS_ONLN), rss_max);
  std::printf(
      "API under load         /summary p50 %.1f ms p99 %.1f ms (%zu); "
      "/services?limit=100 p50 %.1f ms p99 %.1f ms (%zu)\n",
      percentile(summary_ms, 0.5), percentile(summary_ms, 0.99), summary_ms.size(),
      percentile(services_ms, 0.5), percentile(services_ms, 0.99), services_ms.size());
  std::printf("alert engine           %.0f status changes not yet read after the sustained phase\n",
              pg.number("SELECT (SELECT coalesce(max(id), 0) FROM status_changes) - "
                        "last_change_id FROM alert_cursor"));

  // ---- 3. Vanish: `vanish` agents evenly spaced by index stop at once; their phases (so their
  // last heartbeats) spread over the whole period, as when a rack or a network segment goes.
  int rc = 0;
  if (o.vanish > 0) {
    {
      std::lock_guard lock(rx_mu);
      notices.clear();
    }
    const auto vanish_wall = Wall::now();
    std::vector<SimAgent*> gone;
    for (int i = 0; i < o.agents; ++i) {
      if (static_cast<long>(i) * o.vanish % o.agents < o.vanish) {
        gone.push_back(agents[static_cast<std::size_t>(i)].get());
      }
    }
    for (auto* a : gone) a->vanished = true;
    const auto vanish_t0 = Steady::now();
    std::string ids;
    std::int64_t last_hb_us = 0, first_hb_us = INT64_MAX;
    for (const auto* a : gone) {
      ids += (ids.empty() ? "'" : "','") + a->id;
      last_hb_us = std::max<std::int64_t>(last_hb_us, a->last_heartbeat_us);
      first_hb_us = std::min<std::int64_t>(first_hb_us, a->last_heartbeat_us);
    }
    ids += "'";
    const std::string since = sqlTime(vanish_wall);
    double all_marked_s = -1;
    double group_seen_s = -1;
    const auto limit = milliseconds{o.period * 3 + std::chrono::seconds{60}};
    while (Steady::now() - vanish_t0 < limit) {
      const auto marked = pg.number(
          "SELECT count(*) FROM agents WHERE unreachable_since IS NOT NULL AND agent_id IN (" +
          ids + ")");
      const auto groups =
          pg.number("SELECT count(*) FROM alerts WHERE kind = 'agents' AND opened_at >= " + since);
      if (group_seen_s < 0 && groups > 0) group_seen_s = seconds(Steady::now() - vanish_t0);
      if (all_marked_s < 0 && marked >= static_cast<double>(gone.size()))
        all_marked_s = seconds(Steady::now() - vanish_t0);
      if (all_marked_s >= 0 && group_seen_s >= 0 &&
          seconds(Steady::now() - vanish_t0) > all_marked_s + 2 * seconds(period)) {
        break;  // two more periods for any straggling second group or page
      }
      std::this_thread::sleep_for(milliseconds{250});
    }
    std::this_thread::sleep_for(std::chrono::seconds{3});  // outbox -> webhook
    const auto to_s = [](std::int64_t us) { return std::to_string(static_cast<double>(us) / 1e6); };
    const auto per_agent = pg.rows(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), max(d), count(*) FROM ("
        "SELECT extract(epoch FROM unreachable_since - last_seen) AS d FROM agents "
        "WHERE unreachable_since IS NOT NULL AND agent_id IN (" +
        ids + ")) x");
    const auto groups = pg.rows(
        "SELECT extract(epoch FROM opened_at - to_timestamp(" + to_s(last_hb_us) +
        ")), extract(epoch FROM opened_at - to_timestamp(" + to_s(first_hb_us) +
        ")), left(reason, 60), notified FROM alerts WHERE kind = 'agents' AND opened_at >= " +
        since + " ORDER BY id");
    const auto pages = pg.number("SELECT count(*) FROM alerts WHERE kind <> 'agents' AND " +
                                 std::string("opened_at >= ") + since + " AND notified");
    const auto service_incidents =
        pg.number("SELECT count(*) FROM alerts WHERE kind <> 'agents' AND opened_at >= " + since);
    const auto backlog = pg.number(
        "SELECT (SELECT coalesce(max(id), 0) FROM status_changes) - last_change_id FROM "
        "alert_cursor");
    std::printf("alert engine           %.0f status changes not yet read at the end\n", backlog);
    const auto outbox =
        pg.number("SELECT count(*) FROM notification_outbox WHERE created_at >= " + since);
    std::size_t received = 0;
    {
      std::lock_guard lock(rx_mu);
      received = notices.size();
    }
    std::printf(
        "vanish                 %zu agents stopped at once; their last heartbeats spread "
        "over %.1f s before the stop\n",
        gone.size(), static_cast<double>(last_hb_us - first_hb_us) / 1e6);
    std::printf(
        "detection per agent    last_seen -> marked unreachable p50 %.1f s  max %.1f s "
        "(%s of %zu marked; all marked %.1f s after the stop)\n",
        per_agent[0][0].empty() ? -1.0 : std::stod(per_agent[0][0]),
        per_agent[0][1].empty() ? -1.0 : std::stod(per_agent[0][1]), per_agent[0][2].c_str(),
        gone.size(), all_marked_s);
    for (const auto& g : groups) {
      std::printf(
          "grouped incident       opened %.1f s after the last heartbeat of the group "
          "(%.1f s after its first), notified %s: %s...\n",
          std::stod(g[0]), std::stod(g[1]), g[3] == "t" ? "yes" : "no", g[2].c_str());
    }
    std::printf(
        "incidents              %zu grouped, %.0f per-service (%.0f paged); "
        "notifications %.0f in the outbox, %zu received by the webhook\n",
        groups.size(), service_incidents, pages, outbox, received);
    const bool ok = groups.size() == 1 && pages == 0 && outbox == 1;
    std::printf("vanish verdict         %s\n",
                ok ? "PASS: one grouped incident, one notification, no service pages"
                   : "FAIL: expected 1 grouped incident, 1 notification, 0 service pages");
    rc = ok ? 0 : 1;
  }

  stop = true;
  for (auto& t : threads) t.join();
  rx.stop();
  rx_thread.join();
  std::printf("publishes failed       %ld\n", n.failed.load());
  return rc;
}
