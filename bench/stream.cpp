// Live stream delivery: from the moment a change is published on the hub's stream (the status
// tracker publishes right after the change is committed to PostgreSQL) to the moment an SSE
// client has read the event, with many clients at a steady change rate.
//
// Two processes: the child is the hub side (the hub's own StreamHub, stream handler, access
// control and HTTP server, publishing `--rate` changes per second for `--seconds`); the parent
// runs `--clients` SSE clients (cpp-httplib, one thread each), or with `--transport ws` WebSocket
// clients of the hub's WebSocket listener (Boost.Beast). Latency = read time - publish time
// (CLOCK_MONOTONIC, same machine). Printed: p50/p99/max over every (event, client) pair, events
// lost (must be 0), and the hub side's CPU while it streamed, against the same run without
// clients (what the stream adds).
//   build/bin/bench_stream [--clients 200 --rate 1000 --seconds 10 --transport sse|ws]
#include <signal.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "hub/api/access_control.hpp"
#include "hub/api/http_server.hpp"
#include "hub/api/stream_handler.hpp"
#include "hub/api/ws_server.hpp"
#include "tests/integration/stream_sse_client.hpp"
#include "tests/integration/stream_ws_client.hpp"

using namespace vitals;
using namespace vitals::hub;
using Mono = std::chrono::steady_clock;

namespace {

struct Options {
  int clients = 200;
  int rate = 1000;
  int seconds = 10;
  bool ws = false;  // --transport ws
};

std::int64_t monoNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Mono::now().time_since_epoch())
      .count();
}

double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct NoAudit final : api::AuditSink {
  void record(const audit::AuditEntry&, SystemTime) override {}
};

// The hub side. Writes its port to `out`, waits for a byte on `in` (clients connected), publishes,
// then writes "<cpu seconds> <wall seconds> <clients dropped>\n" to `out`.
int hubSide(const Options& o, int in, int out) {
  SystemClock clock;
  metrics::Registry registry;
  stream::StreamSettings ss;
  ss.max_clients = static_cast<std::size_t>(o.clients) + 8;
  stream::StreamHub hub(clock, "be9c", ss, registry);
  auth::OpenSslRandom random;
  stream::TicketStore tickets(clock, random);
  api::StreamHandler handler(hub, tickets, clock);
  api::Router router;
  router.add({"GET",
              "/api/v1/stream",
              {"kinds", "services", "ticket", "last_event_id"},
              [&](const api::ApiRequest& r) { return handler.stream(r); },
              api::Access::Ticket});
  router.add({"GET",
              "/api/v1/ws",
              {"kinds", "services", "ticket", "last_event_id"},
              [&](const api::ApiRequest& r) { return handler.websocket(r); },
              api::Access::Ticket});
  NoAudit audit;
  api::AccessSettings as;
  as.auth_required = false;
  as.per_key.per_second = 0;  // one anonymous caller opens every stream
  api::AccessControl access(router, nullptr, as, clock, audit, registry);
  api::HttpServerSettings hs;
  hs.worker_threads = static_cast<std::size_t>(o.clients) + 16;
  api::HttpServer http(
      access, hs,
      std::make_shared<spdlog::logger>("null", std::make_shared<spdlog::sinks::null_sink_mt>()));
  api::WsServer ws(
      access, {},
      std::make_shared<spdlog::logger>("null", std::make_shared<spdlog::sinks::null_sink_mt>()));
  auto port = o.ws ? ws.start("127.0.0.1", 0) : http.start("127.0.0.1", 0);
  if (!port.ok()) {
    return 1;
  }
  const std::string p = std::to_string(*port) + "\n";
  if (write(out, p.data(), p.size()) < 0) {
    return 1;
  }
  char go = 0;
  if (read(in, &go, 1) != 1) {
    return 1;
  }
  // Every client connected first, so each can be expected to read every change.
  const auto connect_deadline = Mono::now() + std::chrono::seconds(60);
  while (hub.clients() < static_cast<std::size_t>(o.clients) && Mono::now() < connect_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const double cpu0 = cpuSeconds();
  const auto t0 = Mono::now();
  const long total = static_cast<long>(o.rate) * o.seconds;
  for (long i = 0; i < total; ++i) {
    std::this_thread::sleep_until(t0 + std::chrono::nanoseconds(i * 1'000'000'000L / o.rate));
    hub.publish("status", "svc-" + std::to_string(i % 1000),
                {{"from", "healthy"},
                 {"to", i % 2 ? "healthy" : "down"},
                 {"t", monoNs()},
                 {"n", i},
                 {"last", i + 1 == total}});
  }
  // Until the clients have read everything (they hang up) or 30 s.
  const auto deadline = Mono::now() + std::chrono::seconds(30);
  while (hub.clients() > 0 && Mono::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double wall = std::chrono::duration<double>(Mono::now() - t0).count();
  const double cpu = cpuSeconds() - cpu0;
  char line[96];
  const int n =
      std::snprintf(line, sizeof line, "%.3f %.3f %llu\n", cpu, wall,
                    static_cast<unsigned long long>(
                        registry.counter("vitals_stream_dropped_clients_total", "").value()));
  if (write(out, line, static_cast<std::size_t>(n)) < 0) {
    return 1;
  }
  hub.shutdown();
  ws.stop();
  http.stop();
  return 0;
}

std::string readLine(int fd) {
  std::string s;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') {
    s += c;
  }
  return s;
}

struct Run {
  double cpu = 0, wall = 0;
  unsigned long long dropped = 0;
  std::vector<double> latencies_ms;
  long lost = 0;
};

Run runOnce(const Options& o) {
  int to_child[2], from_child[2];
  if (pipe(to_child) != 0 || pipe(from_child) != 0) {
    std::perror("pipe");
    std::exit(1);
  }
  const pid_t pid = fork();
  if (pid == 0) {
    close(to_child[1]);
    close(from_child[0]);
    _exit(hubSide(o, to_child[0], from_child[1]));
  }
  close(to_child[0]);
  close(from_child[1]);
  const int port = std::atoi(readLine(from_child[0]).c_str());
  const long total = static_cast<long>(o.rate) * o.seconds;
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(o.clients));
  std::vector<long> got(static_cast<std::size_t>(o.clients), 0);
  std::vector<std::thread> threads;
  for (int c = 0; c < o.clients; ++c) {
    lat[static_cast<std::size_t>(c)].reserve(static_cast<std::size_t>(total));
    threads.emplace_back([&, c] {
      // One event read: true to go on reading.
      auto onStatus = [&](const nlohmann::json& j, std::int64_t now) {
        if (j.is_discarded() || !j.contains("data")) {
          return true;
        }
        const auto& d = j["data"];
        lat[static_cast<std::size_t>(c)].push_back(
            static_cast<double>(now - d["t"].get<std::int64_t>()) / 1e6);
        ++got[static_cast<std::size_t>(c)];
        return !d["last"].get<bool>();
      };
      if (o.ws) {
        test::readWs(port, "/api/v1/ws?kinds=status", {}, [&](const nlohmann::json& m) {
          const auto now = monoNs();
          const auto kind = m.value("kind", "");
          if (kind != "status") {
            return kind != "dropped" && kind != "closed";
          }
          return onStatus(m, now);
        });
        return;
      }
      test::readSse(port, "/api/v1/stream?kinds=status", {}, [&](const test::SseEvent& e) {
        const auto now = monoNs();
        if (e.event != "status") {
          return e.event != "dropped" && e.event != "closed";
        }
        return onStatus(nlohmann::json::parse(e.data, nullptr, false), now);
      });
    });
  }
  if (write(to_child[1], "g", 1) != 1) {
    std::perror("write");
  }
  const auto result = readLine(from_child[0]);
  for (auto& t : threads) {
    t.join();
  }
  int status = 0;
  waitpid(pid, &status, 0);
  Run r;
  std::sscanf(result.c_str(), "%lf %lf %llu", &r.cpu, &r.wall, &r.dropped);
  for (int c = 0; c < o.clients; ++c) {
    r.lost += total - got[static_cast<std::size_t>(c)];
    r.latencies_ms.insert(r.latencies_ms.end(), lat[static_cast<std::size_t>(c)].begin(),
                          lat[static_cast<std::size_t>(c)].end());
  }
  std::sort(r.latencies_ms.begin(), r.latencies_ms.end());
  close(to_child[1]);
  close(from_child[0]);
  return r;
}

double pct(const std::vector<double>& v, double p) {
  if (v.empty()) {
    return 0;
  }
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (a == "--transport" &&
        (std::string(argv[i + 1]) == "ws" || std::string(argv[i + 1]) == "sse")) {
      o.ws = std::string(argv[i + 1]) == "ws";
    } else if (a == "--clients") {
      o.clients = v;
    } else if (a == "--rate") {
      o.rate = v;
    } else if (a == "--seconds") {
      o.seconds = v;
    } else {
      std::fprintf(stderr,
                   "usage: bench_stream [--clients N] [--rate R] [--seconds S] "
                   "[--transport sse|ws]\n");
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  Options idle = o;
  idle.clients = 0;
  const Run base = runOnce(idle);
  const Run r = runOnce(o);
  std::printf("clients              %d (%s)\n", o.clients, o.ws ? "WebSocket" : "SSE");
  std::printf("changes              %d/s for %d s (%ld)\n", o.rate, o.seconds,
              static_cast<long>(o.rate) * o.seconds);
  std::printf("events read          %zu (lost %ld; clients dropped as too slow: %llu)\n",
              r.latencies_ms.size(), r.lost, r.dropped);
  std::printf("latency p50          %.2f ms\n", pct(r.latencies_ms, 0.50));
  std::printf("latency p99          %.2f ms\n", pct(r.latencies_ms, 0.99));
  std::printf("latency max          %.2f ms\n", r.latencies_ms.empty() ? 0 : r.latencies_ms.back());
  std::printf(
      "hub side CPU         %.1f %% of a core with clients, %.1f %% without (publishing "
      "only)\n",
      100 * r.cpu / r.wall, 100 * base.cpu / base.wall);
  return r.lost == 0 ? 0 : 1;
}
