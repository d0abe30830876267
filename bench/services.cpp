// GET /api/v1/services and /api/v1/summary at scale. Two parts:
//   in-process (default): a HubState with --services services of --checks checks each, and the
//     handler's own time for the whole list, a filtered page, a 304 and the summary — the
//     server's work without sockets;
//   --hub URL --key K [--pid PID]: the same requests against a running hub over HTTP (client
//     latency, body size) and the hub's RSS before and after (bench/run-services.sh).
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "common/time/clock.hpp"
#include "hub/api/services_handler.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/store/read_store.hpp"

using namespace vitals;

namespace {

struct Options {
  int services = 10000;
  int checks = 2;
  int runs = 200;
  std::string hub;
  std::string key;
  int pid = 0;
  int requests = 100;
  std::string glob = "svc-0*";  // the filtered page's name glob
};

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// CPU time of this thread: the handler's own work, apart from what a busy machine adds.
double threadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// The read store is not used by list and summary.
class NoStore final : public hub::store::ReadStore {
 public:
  Result<hub::store::HistoryPage> history(const hub::store::HistoryQuery&) override {
    return Error{"bench", "unused", {}};
  }
  Result<std::vector<hub::store::AgentRecord>> agents() override {
    return Error{"bench", "unused", {}};
  }
  Result<std::optional<hub::store::AgentRecord>> agent(const std::string&) override {
    return Error{"bench", "unused", {}};
  }
  Result<std::vector<hub::store::StoredCheck>> checks() override {
    return Error{"bench", "unused", {}};
  }
  Status ping() override { return okStatus(); }
};

std::string statusLine(const char* what, const std::vector<double>& v, std::size_t bytes) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-44s p50 %8.3f ms  p99 %8.3f ms  (%zu bytes)", what, pct(v, 0.5),
                pct(v, 0.99), bytes);
  return buf;
}

void inProcess(const Options& o) {
  hub::state::HubState state;
  const SystemTime now = SystemClock().now();
  std::uint64_t seq = 0;
  for (int s = 0; s < o.services; ++s) {
    char name[32];
    std::snprintf(name, sizeof name, "svc-%05d", s);
    for (int c = 0; c < o.checks; ++c) {
      CheckResult r;
      r.agent_id = "agent-" + std::to_string(s % 100);
      r.boot_id = "boot";
      r.seq = ++seq;
      r.service = name;
      r.check = std::string(name) + "-check-" + std::to_string(c);
      r.kind = c == 0 ? "http" : "tcp";
      r.status = s % 50 == 0 ? HealthStatus::Down : HealthStatus::Healthy;
      r.raw_status = r.status;
      r.latency = std::chrono::microseconds{1000 + s % 977};
      r.message = r.status == HealthStatus::Down ? "connection refused" : "HTTP 200 in 1.2 ms";
      r.observed_at = now - std::chrono::seconds{s % 10};
      state.applyResult(r);
    }
  }
  NoStore store;
  SystemClock clock;
  hub::api::ServicesHandler handler(state, store, clock);
  auto time = [&](const char* what, hub::api::ApiRequest req, int expect) {
    std::vector<double> took;
    std::vector<double> cpu;
    std::size_t bytes = 0;
    for (int i = 0; i < o.runs + 3; ++i) {
      const auto t = std::chrono::steady_clock::now();
      const double c0 = threadCpuMs();
      const auto r = req.path == "/api/v1/summary" ? handler.summary(req) : handler.list(req);
      const double ms = msSince(t);
      if (i >= 3) cpu.push_back(threadCpuMs() - c0);
      if (r.status != expect) {
        std::fprintf(stderr, "%s: status %d\n", what, r.status);
        std::exit(1);
      }
      bytes = r.text ? r.text->size() : r.body.dump().size();
      if (i >= 3) took.push_back(ms);
    }
    std::printf("%s  cpu p50 %.3f ms p99 %.3f ms\n", statusLine(what, took, bytes).c_str(),
                pct(cpu, 0.5), pct(cpu, 0.99));
  };
  std::printf("in-process: %d services x %d checks, %d runs each (handler time, no sockets)\n",
              o.services, o.checks, o.runs);
  hub::api::ApiRequest all;
  all.method = "GET";
  all.path = "/api/v1/services";
  time("whole list", all, 200);
  auto page = all;
  page.query = {{"status", "healthy"}, {"q", o.glob}, {"limit", "100"}};
  time("status+glob filtered page of 100", page, 200);
  auto sorted = all;
  sorted.query = {{"sort", "-latency"}, {"limit", "100"}};
  time("page of 100 sorted by latency", sorted, 200);
  const auto first = handler.list(all);
  auto cached = all;
  for (const auto& [k, v] : first.headers) {
    if (k == "ETag") cached.headers.emplace_back("If-None-Match", v);
  }
  time("whole list, If-None-Match (304)", cached, 304);
  hub::api::ApiRequest summary;
  summary.method = "GET";
  summary.path = "/api/v1/summary";
  time("summary", summary, 200);
}

long statusKb(int pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return std::stol(line.substr(prefix.size()));
  }
  return -1;
}

void overHttp(const Options& o) {
  httplib::Client cli(o.hub);
  cli.set_read_timeout(30, 0);
  const httplib::Headers auth{{"Authorization", "Bearer " + o.key}};
  if (o.pid > 0) {
    std::printf("hub RSS before: %ld KiB (peak %ld KiB)\n", statusKb(o.pid, "VmRSS"),
                statusKb(o.pid, "VmHWM"));
  }
  auto run = [&](const char* what, const std::string& path, int n, int expect,
                 const httplib::Headers& headers) {
    std::vector<double> took;
    std::size_t bytes = 0;
    for (int i = 0; i < n; ++i) {
      const auto t = std::chrono::steady_clock::now();
      auto r = cli.Get(path, headers);
      took.push_back(msSince(t));
      if (!r || r->status != expect) {
        std::fprintf(stderr, "%s: %s\n", what, r ? std::to_string(r->status).c_str() : "no answer");
        std::exit(1);
      }
      bytes = r->body.size();
    }
    std::printf("%s\n", statusLine(what, took, bytes).c_str());
  };
  run("HTTP whole list", "/api/v1/services", o.requests, 200, auth);
  if (o.pid > 0) {
    std::printf("hub RSS after %d whole-list requests: %ld KiB (peak %ld KiB)\n", o.requests,
                statusKb(o.pid, "VmRSS"), statusKb(o.pid, "VmHWM"));
  }
  run("HTTP filtered page of 100",
      "/api/v1/services?status=healthy&limit=100&q=" + httplib::detail::encode_query_param(o.glob),
      o.requests, 200, auth);
  auto r = cli.Get("/api/v1/services", auth);
  httplib::Headers cached = auth;
  cached.emplace("If-None-Match", r ? r->get_header_value("ETag") : "");
  run("HTTP whole list, If-None-Match", "/api/v1/services", o.requests, 304, cached);
  run("HTTP summary", "/api/v1/summary", o.requests, 200, auth);
  if (o.pid > 0) {
    std::printf("hub RSS at the end: %ld KiB (peak %ld KiB)\n", statusKb(o.pid, "VmRSS"),
                statusKb(o.pid, "VmHWM"));
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--services")
      o.services = std::stoi(next());
    else if (a == "--checks")
      o.checks = std::stoi(next());
    else if (a == "--runs")
      o.runs = std::stoi(next());
    else if (a == "--hub")
      o.hub = next();
    else if (a == "--key")
      o.key = next();
    else if (a == "--pid")
      o.pid = std::stoi(next());
    else if (a == "--requests")
      o.requests = std::stoi(next());
    else if (a == "--glob")
      o.glob = next();
    else {
      std::fprintf(stderr,
                   "usage: bench_services [--services N --checks C --runs R] | [--hub URL --key "
                   "K [--pid PID] [--requests N]]\n");
      return 2;
    }
  }
  if (o.hub.empty()) {
    inProcess(o);
  } else {
    overHttp(o);
  }
  return 0;
}
