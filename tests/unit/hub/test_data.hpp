#pragma once
// Small builders for hub unit tests.
#include <string>

#include "common/model/check_result.hpp"
#include "common/model/codec.hpp"
#include "common/nats/subjects.hpp"

namespace vitals::test {

inline SystemTime at(long long seconds) { return SystemTime{std::chrono::seconds{seconds}}; }

inline CheckResult result(const std::string& agent, const std::string& boot, std::uint64_t seq,
                          const std::string& service = "web", const std::string& check = "http",
                          HealthStatus status = HealthStatus::Healthy,
                          SystemTime observed = at(1'800'000'000)) {
  CheckResult r;
  r.agent_id = agent;
  r.boot_id = boot;
  r.seq = seq;
  r.service = service;
  r.check = check;
  r.kind = "http";
  r.status = status;
  r.raw_status = status;
  r.latency = std::chrono::microseconds{1500};
  r.message = "ok";
  r.observed_at = observed + std::chrono::seconds{static_cast<long long>(seq)};
  return r;
}

// A results message: (subject, payload) of a batch of `n` results starting at `first`.
inline std::pair<std::string, std::string> resultsMessage(const std::string& agent,
                                                          const std::string& boot,
                                                          std::uint64_t first, int n,
                                                          const std::string& subject_agent = "") {
  ResultBatch b{agent, boot, {}};
  for (int i = 0; i < n; ++i) {
    b.results.push_back(result(agent, boot, first + static_cast<std::uint64_t>(i)));
  }
  return {subjects::agentResults(subject_agent.empty() ? agent : subject_agent),
          codec::encodeBatch(b)};
}

inline Registration registration(const std::string& agent, std::vector<CheckSpec> checks) {
  Registration r;
  r.agent_id = agent;
  r.boot_id = "boot";
  r.hostname = "host-" + agent;
  r.version = "1.0";
  r.checks = std::move(checks);
  r.sent_at = at(1'800'000'000);
  return r;
}

inline CheckSpec spec(const std::string& name, const std::string& service,
                      const std::string& kind = "http") {
  CheckSpec c;
  c.name = name;
  c.service = service;
  c.kind = kind;
  c.interval = std::chrono::seconds{10};
  c.timeout = std::chrono::seconds{1};
  return c;
}

}  // namespace vitals::test
