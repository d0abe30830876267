#pragma once
// Shared by the benchmarks that play agents (alert_latency, scale): connect to NATS, publish on
// JetStream with retries, and build the messages an agent sends (results, heartbeats,
// registrations) the way vitals-agent builds them. Header-only; benchmarks are single files.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "common/model/check_result.hpp"
#include "common/nats/nats_client.hpp"

namespace vitals::bench {

using Wall = std::chrono::system_clock;

// Connects (the client keeps reconnecting in the background) and waits up to 4 s for the link;
// exits the program when the URL is unusable.
inline std::unique_ptr<nats::Connection> connectOrExit(const std::string& url, const char* name,
                                                       const char* program) {
  nats::ConnectOptions co;
  co.url = url;
  co.name = name;
  auto conn = nats::Connection::connect(co);
  if (!conn.ok()) {
    std::fprintf(stderr, "%s: %s\n", program, conn.error().describe().c_str());
    std::exit(1);
  }
  for (int i = 0; i < 200 && !conn.value()->connected(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return std::move(conn.value());
}

// JetStream publish with the agent's message id, retried like the agent retries a batch.
inline bool publishWithRetry(nats::Connection& c, const std::string& subject,
                             const std::string& payload, const std::string& id, int attempts = 20) {
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (c.jsPublish(subject, payload, id, std::chrono::seconds{5}).ok()) {
      return true;
    }
  }
  return false;
}

// One HTTP-like check result as an agent reports it.
inline CheckResult simResult(const std::string& agent, const std::string& boot, std::uint64_t seq,
                             const std::string& service, const std::string& check,
                             HealthStatus status) {
  CheckResult r;
  r.agent_id = agent;
  r.boot_id = boot;
  r.seq = seq;
  r.service = service;
  r.check = check;
  r.kind = "http";
  r.status = status;
  r.raw_status = status;
  r.latency = std::chrono::microseconds{800};
  r.message = status == HealthStatus::Healthy ? "HTTP 200 in 1 ms" : "HTTP 503 in 1 ms";
  r.observed_at = Wall::now();
  return r;
}

inline Heartbeat simHeartbeat(const std::string& agent, const std::string& boot,
                              std::chrono::milliseconds interval, std::uint64_t last_seq,
                              std::uint32_t checks) {
  Heartbeat hb;
  hb.agent_id = agent;
  hb.boot_id = boot;
  hb.version = "bench";
  hb.sent_at = Wall::now();
  hb.interval = interval;
  hb.last_seq = last_seq;
  hb.check_count = checks;
  return hb;
}

// Heartbeat message id, as the agent forms it: <agent>.<boot>.hb.<n>.
inline std::string heartbeatId(const std::string& agent, const std::string& boot, std::uint64_t n) {
  return agent + "." + boot + ".hb." + std::to_string(n);
}

}  // namespace vitals::bench
