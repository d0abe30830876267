// Alert latency: from an agent's observation of a flip to the webhook receiver's arrival.
//
// This program plays the agents: `--background` services on `--agents` agents report healthy
// results (and heartbeats) every `--period`, and one more agent observes a check flipping
// between down and healthy `--flips` times. Every flip is one notification ("N:healthy->down"
// or "recovered"), delivered by the hub to the webhook receiver this program runs. Latency =
// arrival at the receiver - the result's observed_at (same machine, same clock). Printed:
// p50/p99/max, and the background rate actually published.
//   bench/run-alert-latency.sh [--flips 200 --background 10000]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
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
using bench::publishWithRetry;

namespace {

struct Options {
  std::string nats;
  int receiver_port = 0;
  int flips = 200;
  int background = 10000;
  int agents = 100;
  std::chrono::milliseconds period{10000};
  std::chrono::milliseconds gap{400};  // between flips (longer than a notification takes)
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "bench_alert_latency: %s\nusage: bench_alert_latency --nats URL --receiver-port N "
               "[--flips 200] [--background 10000] [--agents 100] [--period-ms 10000] "
               "[--gap-ms 400]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return bench::argValue(i, argc, argv, usage); };
    if (a == "--nats")
      o.nats = next();
    else if (a == "--receiver-port")
      o.receiver_port = std::stoi(next());
    else if (a == "--flips")
      o.flips = std::stoi(next());
    else if (a == "--background")
      o.background = std::stoi(next());
    else if (a == "--agents")
      o.agents = std::stoi(next());
    else if (a == "--period-ms")
      o.period = std::chrono::milliseconds{std::stoi(next())};
    else if (a == "--gap-ms")
      o.gap = std::chrono::milliseconds{std::stoi(next())};
    else
      usage(("unknown argument " + a).c_str());
  }
  if (o.nats.empty() || o.receiver_port == 0) usage("--nats and --receiver-port are required");
  if (o.agents < 1 || o.background < o.agents) usage("--background must be >= --agents >= 1");
  return o;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  StdRandom random;

  // The webhook receiver: arrival times in order.
  std::mutex mu;
  std::vector<std::pair<Wall::time_point, nlohmann::json>> arrivals;
  httplib::Server rx;
  rx.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    const auto at = Wall::now();
    std::lock_guard lock(mu);
    arrivals.emplace_back(at, nlohmann::json::parse(req.body, nullptr, false));
    res.set_content("ok", "text/plain");
  });
  if (!rx.bind_to_port("127.0.0.1", o.receiver_port)) {
    std::fprintf(stderr, "bench_alert_latency: cannot listen on %d\n", o.receiver_port);
    return 1;
  }
  std::thread rx_thread([&] { rx.listen_after_bind(); });

  // Background: healthy results and heartbeats for every service, spread over the period.
  std::atomic<bool> stop{false};
  std::atomic<long> background_results{0};
  std::atomic<long> background_failed{0};
  const int per_agent = o.background / o.agents;
  std::vector<std::thread> background;
  const int threads = 4;
  for (int t = 0; t < threads; ++t) {
    background.emplace_back([&, t] {
      auto conn = bench::connectOrExit(o.nats, "bench-background", "bench_alert_latency");
      StdRandom rnd;
      struct Agent {
        std::string id, boot;
        std::uint64_t seq = 0;
      };
      std::vector<Agent> mine;
      for (int a = t; a < o.agents; a += threads) {
        mine.push_back({"bg-" + std::to_string(a), rnd.hexId(), 0});
      }
      auto next = std::chrono::steady_clock::now();
      while (!stop) {
        for (auto& a : mine) {
          ResultBatch b{a.id, a.boot, {}};
          for (int s = 0; s < per_agent; ++s) {
            const std::string svc = a.id + "-svc-" + std::to_string(s);
            b.results.push_back(
                bench::simResult(a.id, a.boot, ++a.seq, svc, svc, HealthStatus::Healthy));
          }
          if (publishWithRetry(*conn, subjects::agentResults(a.id), codec::encodeBatch(b),
                               codec::batchMessageId(b))) {
            background_results += per_agent;
          } else {
            ++background_failed;
          }
          const auto hb = bench::simHeartbeat(a.id, a.boot, o.period, a.seq,
                                              static_cast<std::uint32_t>(per_agent));
          (void)conn->jsPublish(subjects::agentHeartbeat(a.id), codec::encodeHeartbeat(hb),
                                bench::heartbeatId(a.id, a.boot, a.seq), std::chrono::seconds{5});
        }
        next += o.period;
        while (!stop && std::chrono::steady_clock::now() < next) {
          std::this_thread::sleep_for(std::chrono::milliseconds{50});
        }
      }
    });
  }

  // Let the hub learn the background services before the flips start.
  std::this_thread::sleep_for(o.period + std::chrono::seconds{2});
  const long bg_before = background_results.load();
  const auto bg_t0 = std::chrono::steady_clock::now();

  auto conn = bench::connectOrExit(o.nats, "bench-flipper", "bench_alert_latency");
  const std::string agent = "flip-agent";
  const std::string boot = random.hexId();
  std::uint64_t seq = 0;
  auto send = [&](HealthStatus status) {
    ResultBatch b{
        agent, boot, {bench::simResult(agent, boot, ++seq, "flip-svc", "flip-svc", status)}};
    const auto observed = b.results[0].observed_at;
    if (!publishWithRetry(*conn, subjects::agentResults(agent), codec::encodeBatch(b),
                          codec::batchMessageId(b))) {
      std::fprintf(stderr, "bench_alert_latency: flip publish failed\n");
      std::exit(1);
    }
    return observed;
  };
  send(HealthStatus::Healthy);  // the service exists and is healthy: no incident
  std::this_thread::sleep_for(std::chrono::seconds{2});
  {
    std::lock_guard lock(mu);
    arrivals.clear();
  }

  std::vector<Wall::time_point> observed;
  for (int i = 0; i < o.flips; ++i) {
    observed.push_back(send(i % 2 == 0 ? HealthStatus::Down : HealthStatus::Healthy));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
    // Wait for this flip's notice before the next flip (so arrivals pair with flips in order).
    for (;;) {
      {
        std::lock_guard lock(mu);
        if (arrivals.size() > static_cast<std::size_t>(i)) break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "bench_alert_latency: flip %d was not notified within 30 s\n", i);
        std::exit(1);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
    std::this_thread::sleep_for(o.gap / 2 +
                                std::chrono::milliseconds{random.between(0, o.gap.count())});
  }
  const double bg_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - bg_t0).count();
  const long bg_done = background_results.load() - bg_before;
  stop = true;
  for (auto& t : background) t.join();
  std::this_thread::sleep_for(std::chrono::seconds{1});  // any late duplicate shows up
  rx.stop();
  rx_thread.join();

  std::vector<double> ms;
  int mismatched = 0;
  for (int i = 0; i < o.flips; ++i) {
    const auto& [at, body] = arrivals[static_cast<std::size_t>(i)];
    const std::string want = i % 2 == 0 ? "down" : "healthy";
    if (!body.is_object() || body.value("to_status", "") != want ||
        body.value("service", "") != "flip-svc") {
      ++mismatched;
    }
    ms.push_back(
        std::chrono::duration<double, std::milli>(at - observed[static_cast<std::size_t>(i)])
            .count());
  }
  std::printf("flips                 %d (notifications received %zu, out of order or wrong %d)\n",
              o.flips, arrivals.size(), mismatched);
  std::printf(
      "background            %d services on %d agents every %.0f s: %.0f results/s "
      "published (%ld failed)\n",
      o.background, o.agents, std::chrono::duration<double>(o.period).count(),
      static_cast<double>(bg_done) / bg_s, background_failed.load());
  std::printf("observation -> webhook  p50 %.1f ms  p99 %.1f ms  max %.1f ms\n",
              percentile(ms, 0.50), percentile(ms, 0.99), *std::max_element(ms.begin(), ms.end()));
  return mismatched == 0 && arrivals.size() == static_cast<std::size_t>(o.flips) ? 0 : 1;
}
