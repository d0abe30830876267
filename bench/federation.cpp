// bench_federation: what federation costs and how fast it is (docs/benchmarks.md).
//
//   bench_federation sizes
//     Encoded summary sizes for 1,000 and 10,000 services (full, and a delta of 10 changes), and
//     the publishing CPU per summary (HubState snapshot + build + encode) at 10,000 services.
//   bench_federation latency --nats URL[,URL...] --receiver URL [--sites 10] [--services 1000]
//                    [--interval 1s] [--changes 200]
//     One simulated site per URL in --nats (round robin when fewer than --sites), each a real
//     SummaryPublisher over a HubState of --services services publishing through its site's
//     nats-server; a receiver on --receiver (another site) validates and applies what arrives to
//     a GlobalView. Flips one random service of one random site at a time and measures the time
//     from the change to its appearance in the receiver's view (p50/p99/max), plus the summary
//     bytes per site per interval.
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/asio/asio_timers.hpp"
#include "common/metrics/metrics.hpp"
#include "common/nats/nats_client.hpp"
#include "common/time/clock.hpp"
#include "hub/federation/global_view.hpp"
#include "hub/federation/summary_builder.hpp"
#include "hub/federation/summary_codec.hpp"
#include "hub/federation/summary_publisher.hpp"
#include "hub/federation/summary_validator.hpp"
#include "hub/state/hub_state.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace std::chrono_literals;

namespace {

double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string serviceName(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "service-%05d", i);
  return buf;
}

CheckResult resultFor(const std::string& agent, std::uint64_t seq, const std::string& service,
                      HealthStatus status, SystemTime now) {
  CheckResult r;
  r.agent_id = agent;
  r.boot_id = "boot";
  r.seq = seq;
  r.service = service;
  r.check = service + "-http";
  r.kind = "http";
  r.status = r.raw_status = status;
  r.latency = 23ms;
  r.message = "ok";
  r.observed_at = now;
  return r;
}

// A site's state: `services` services over 10 agents, one http check each, all up.
void fill(state::HubState& st, int services, SystemTime now, std::uint64_t& seq) {
  std::map<std::string, Registration> regs;
  for (int i = 0; i < services; ++i) {
    const std::string agent = "agent-" + std::to_string(i % 10);
    auto& reg = regs[agent];
    reg.agent_id = agent;
    reg.boot_id = "boot";
    CheckSpec c;
    c.name = serviceName(i) + "-http";
    c.service = serviceName(i);
    c.kind = "http";
    c.target = "http://" + serviceName(i) + ".svc.example:8080/health";
    reg.checks.push_back(c);
  }
  for (const auto& [agent, reg] : regs) {
    st.applyRegistration(reg);
  }
  for (int i = 0; i < services; ++i) {
    (void)st.applyResult(resultFor("agent-" + std::to_string(i % 10), ++seq, serviceName(i),
                                   HealthStatus::Healthy, now));
  }
}

int sizes() {
  SystemClock clock;
  for (int n : {1000, 10000}) {
    state::HubState st;
    std::uint64_t seq = 0;
    fill(st, n, clock.now(), seq);
    federation::SummaryBuilder b;
    federation::SummaryHeader h;
    h.hub_id = "site-00";
    h.version = VITALS_VERSION;
    h.url = "https://vitals.site-00.example";
    h.now = clock.now();
    h.interval = 30s;
    const auto full = b.full(h, st.services());
    const auto full_bytes = federation::encodeSummary(full.summary).size();
    std::set<std::string> changed;
    for (int i = 0; i < 10; ++i) {
      const auto name = serviceName(i * (n / 10));
      changed.insert(name);
      (void)st.applyResult(resultFor("agent-" + std::to_string((i * (n / 10)) % 10), ++seq, name,
                                     HealthStatus::Down, clock.now()));
    }
    const auto delta = b.delta(h, changed, st.servicesNamed(changed));
    const auto delta_bytes = delta ? federation::encodeSummary(delta->summary).size() : 0;
    std::printf(
        "%6d services: full %8zu bytes (%.1f per service), delta of 10 changes %5zu bytes\n", n,
        full_bytes, static_cast<double>(full_bytes) / n, delta_bytes);
  }
  // Publishing CPU per summary at 10,000 services: snapshot + build + encode, as the publisher.
  state::HubState st;
  std::uint64_t seq = 0;
  fill(st, 10000, clock.now(), seq);
  federation::SummaryBuilder b;
  federation::SummaryHeader h;
  h.hub_id = "site-00";
  h.interval = 30s;
  const int rounds = 50;
  const double c0 = cpuSeconds();
  std::size_t bytes = 0;
  for (int i = 0; i < rounds; ++i) {
    h.now = clock.now();
    bytes += federation::encodeSummary(b.full(h, st.services()).summary).size();
  }
  const double full_cpu = (cpuSeconds() - c0) / rounds;
  std::set<std::string> one{serviceName(42)};
  const double d0 = cpuSeconds();
  for (int i = 0; i < 1000; ++i) {
    (void)st.applyResult(resultFor("agent-2", ++seq, serviceName(42),
                                   i % 2 ? HealthStatus::Healthy : HealthStatus::Down,
                                   clock.now()));
    auto d = b.delta(h, one, st.servicesNamed(one));
    if (d) {
      bytes += federation::encodeSummary(d->summary).size();
    }
  }
  const double delta_cpu = (cpuSeconds() - d0) / 1000;
  std::printf(
      "CPU per full summary at 10,000 services: %.2f ms (%.3f %% of a core at a 30 s "
      "interval, %.2f %% at 1 s)\n",
      full_cpu * 1e3, full_cpu / 30 * 100, full_cpu * 100);
  std::printf("CPU per one-service delta at 10,000 services: %.1f us (incl. applying the result)\n",
              delta_cpu * 1e6);
  return bytes > 0 ? 0 : 1;
}

struct Args {
  std::vector<std::string> nats;
  std::string receiver;
  int sites = 10;
  int services = 1000;
  std::chrono::milliseconds interval{1000};
  int changes = 200;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto comma = s.find(',', start);
    if (comma == std::string::npos) {
      comma = s.size();
    }
    if (comma > start) {
      out.push_back(s.substr(start, comma - start));
    }
    start = comma + 1;
  }
  return out;
}

int latency(const Args& a) {
  SystemClock clock;
  auto logger =
      std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  metrics::Registry registry;
  // Receiver.
  federation::GlobalView view;
  federation::FederationSettings limits;
  std::mutex mu;
  std::condition_variable cv;
  // (hub, service) -> (status wanted, change time); filled before the change is made.
  std::map<std::pair<std::string, std::string>, std::pair<HealthStatus, SteadyTime>> pending;
  std::vector<double> latencies_ms;
  std::atomic<std::uint64_t> received_bytes{0};
  std::atomic<std::uint64_t> received_msgs{0};
  nats::ConnectOptions ro;
  ro.url = a.receiver;
  ro.name = "bench-federation-receiver";
  auto rconn = nats::Connection::connect(ro);
  if (!rconn.ok()) {
    std::fprintf(stderr, "receiver: %s\n", rconn.error().describe().c_str());
    return 1;
  }
  auto sub =
      rconn.value()->subscribe("hub.*.health.summary", [&](const nats::Subscription::Message& m) {
        received_bytes += m.data.size();
        ++received_msgs;
        auto s =
            federation::validateSummary(m.subject, m.data, "bench-receiver", clock.now(), limits);
        if (!s.ok()) {
          return;
        }
        const auto applied = view.apply(s.value(), clock.now(), clock.steadyNow());
        const auto now = clock.steadyNow();
        std::lock_guard lock(mu);
        for (const auto& svc : applied.upserted) {
          auto it = pending.find({svc.hub_id, svc.summary.name});
          if (it != pending.end() && it->second.first == svc.summary.status) {
            latencies_ms.push_back(
                std::chrono::duration<double, std::milli>(now - it->second.second).count());
            pending.erase(it);
            cv.notify_all();
          }
        }
      });
  if (!sub.ok()) {
    std::fprintf(stderr, "subscribe: %s\n", sub.error().describe().c_str());
    return 1;
  }
  (void)rconn.value()->flush(2s);

  // Sites.
  boost::asio::io_context io;
  AsioTimers timers(io);
  struct Site {
    std::string id;
    std::unique_ptr<nats::Connection> conn;
    state::HubState state;
    std::uint64_t seq = 0;
    std::unique_ptr<federation::SummaryPublisher> publisher;
  };
  std::vector<std::unique_ptr<Site>> sites;
  for (int i = 0; i < a.sites; ++i) {
    auto site = std::make_unique<Site>();
    char id[16];
    std::snprintf(id, sizeof id, "site-%02d", i);
    site->id = id;
    nats::ConnectOptions o;
    o.url = a.nats[static_cast<std::size_t>(i) % a.nats.size()];
    o.name = "bench-federation-" + site->id;
    auto c = nats::Connection::connect(o);
    if (!c.ok()) {
      std::fprintf(stderr, "%s: %s\n", site->id.c_str(), c.error().describe().c_str());
      return 1;
    }
    site->conn = std::move(c.value());
    fill(site->state, a.services, clock.now(), site->seq);
    auto* conn = site->conn.get();
    site->publisher = std::make_unique<federation::SummaryPublisher>(
        site->state, clock, timers,
        [conn](const std::string& subject, std::string_view data) {
          return conn->publish(subject, data);
        },
        [] { return Result<std::uint32_t>(0u); },
        federation::PublisherSettings{site->id, VITALS_VERSION, "", a.interval, 1s}, registry,
        logger);
    sites.push_back(std::move(site));
  }
  auto work = boost::asio::make_work_guard(io);
  std::thread loop([&io] { io.run(); });
  const double cpu0 = cpuSeconds();
  for (auto& s : sites) {
    boost::asio::post(io, [p = s->publisher.get()] { p->start(); });
  }
  // Wait until every site is in the view.
  for (int i = 0; i < 100 && view.hubs().size() < static_cast<std::size_t>(a.sites); ++i) {
    std::this_thread::sleep_for(100ms);
  }
  if (view.hubs().size() < static_cast<std::size_t>(a.sites)) {
    std::fprintf(stderr, "only %zu of %d sites reached the receiver\n", view.hubs().size(),
                 a.sites);
    return 1;
  }
  const auto bytes0 = received_bytes.load();
  const auto t0 = clock.steadyNow();
  std::mt19937 rng(42);
  int lost = 0;
  for (int i = 0; i < a.changes; ++i) {
    auto& site = *sites[rng() % sites.size()];
    const int svc = static_cast<int>(rng() % static_cast<unsigned>(a.services));
    const auto name = serviceName(svc);
    const auto current = site.state.service(name)->status;
    const auto next = current == HealthStatus::Healthy ? HealthStatus::Down : HealthStatus::Healthy;
    {
      std::lock_guard lock(mu);
      pending[{site.id, name}] = {next, clock.steadyNow()};
    }
    boost::asio::post(io, [&site, name, next, &clock, svc] {
      (void)site.state.applyResult(
          resultFor("agent-" + std::to_string(svc % 10), ++site.seq, name, next, clock.now()));
      policy::Transition t;
      t.service = name;
      site.publisher->onTransitions({t});
    });
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, 5s, [&] { return !pending.contains({site.id, name}); })) {
      ++lost;
      pending.erase({site.id, name});
    }
    lock.unlock();
    // Spread the changes: about 5 per second across all sites.
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 200));
  }
  const double elapsed = std::chrono::duration<double>(clock.steadyNow() - t0).count();
  const double cpu = cpuSeconds() - cpu0;
  const auto bytes = received_bytes.load() - bytes0;
  for (auto& s : sites) {
    boost::asio::post(io, [p = s->publisher.get()] { p->stop(); });
  }
  work.reset();
  loop.join();
  sub.value().reset();

  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) {
      return 0.0;
    }
    return latencies_ms[std::min(
        latencies_ms.size() - 1,
        static_cast<std::size_t>(p * static_cast<double>(latencies_ms.size())))];
  };
  const double intervals = elapsed / (static_cast<double>(a.interval.count()) / 1000.0);
  std::printf("%d sites x %d services, interval %lld ms, %d changes in %.1f s\n", a.sites,
              a.services, static_cast<long long>(a.interval.count()), a.changes, elapsed);
  std::printf("change -> global view: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%zu seen, %d lost)\n",
              pct(0.5), pct(0.99), latencies_ms.empty() ? 0.0 : latencies_ms.back(),
              latencies_ms.size(), lost);
  std::printf("summary bytes received: %.0f per site per interval (%.1f KB/s for all sites)\n",
              static_cast<double>(bytes) / a.sites / intervals,
              static_cast<double>(bytes) / elapsed / 1000);
  std::printf("bench process CPU (all %d publishers + receiver): %.2f %% of one core\n", a.sites,
              cpu / elapsed * 100);
  return lost == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: bench_federation sizes | latency --nats URLS --receiver URL "
                 "[--sites N] [--services N] [--interval-ms N] [--changes N]\n");
    return 2;
  }
  const std::string mode = argv[1];
  if (mode == "sizes") {
    return sizes();
  }
  if (mode != "latency") {
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  }
  Args a;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--nats") {
      a.nats = split(v);
    } else if (k == "--receiver") {
      a.receiver = v;
    } else if (k == "--sites") {
      a.sites = std::stoi(v);
    } else if (k == "--services") {
      a.services = std::stoi(v);
    } else if (k == "--interval-ms") {
      a.interval = std::chrono::milliseconds{std::stoi(v)};
    } else if (k == "--changes") {
      a.changes = std::stoi(v);
    } else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (a.nats.empty() || a.receiver.empty() || a.sites < 1 || a.services < 10) {
    std::fprintf(stderr, "--nats and --receiver are required; --sites >= 1, --services >= 10\n");
    return 2;
  }
  return latency(a);
}
