#pragma once
// Runs every check on its own timer: first run at a random offset within its interval, timeout
// enforced by a timer, retries with exponential backoff and jitter while a failing check is not
// yet down, and one CheckResult per run handed to a sink. Single-threaded: every method and
// callback runs on the loop thread that drives the Timers.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/config/agent_config.hpp"
#include "agent/probe/probe.hpp"
#include "agent/state/check_state.hpp"
#include "common/metrics/metrics.hpp"
#include "common/model/check_result.hpp"
#include "common/random/random.hpp"
#include "common/time/clock.hpp"

namespace spdlog {
class logger;
}

namespace vitals::agent {

// The scheduler's view of one check.
struct ScheduledCheck {
  std::string name;
  std::string service;
  std::string kind;
  std::chrono::milliseconds interval{30000};
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds retry_backoff{1000};
  Thresholds thresholds;
};

ScheduledCheck scheduledCheck(const CheckConfig& check);

// Delay before retry number n (n >= 1 consecutive failures): backoff * 2^(n-1), times a jitter
// factor in [0.8, 1.2) drawn from random, capped at interval.
std::chrono::milliseconds retryDelay(std::chrono::milliseconds backoff, std::uint32_t failures,
                                     std::chrono::milliseconds interval, Random& random);

class ProbeScheduler {
 public:
  // Receives every result (agent_id/boot_id/seq still empty: the pipeline fills them).
  using Sink = std::function<void(CheckResult)>;

  ProbeScheduler(Clock& clock, Timers& timers, Random& random, Sink sink,
                 metrics::Registry& metrics, std::shared_ptr<spdlog::logger> logger);
  ~ProbeScheduler();
  ProbeScheduler(const ProbeScheduler&) = delete;
  ProbeScheduler& operator=(const ProbeScheduler&) = delete;

  // Adds a check and schedules its first run at now + uniform() * interval.
  void add(ScheduledCheck check, std::unique_ptr<Probe> probe);
  // Cancels every timer; outcomes that arrive later are ignored. Idempotent.
  void stop();

  std::size_t size() const { return entries_.size(); }
  // Current state of a check by name (Unknown/zeros if not found).
  CheckState state(const std::string& name) const;

 private:
  struct Entry;
  void turn(Entry& e);
  void onOutcome(Entry& e, std::uint64_t run_id, ProbeOutcome outcome);
  void onTimeout(Entry& e, std::uint64_t run_id);
  void finish(Entry& e, ProbeOutcome outcome);
  void scheduleAt(Entry& e, SteadyTime when);

  Clock& clock_;
  Timers& timers_;
  Random& random_;
  Sink sink_;
  metrics::Registry& metrics_;
  std::shared_ptr<spdlog::logger> logger_;
  std::vector<std::unique_ptr<Entry>> entries_;
  // Callbacks hold a weak_ptr to this: a probe finishing after the scheduler is gone is ignored.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool stopped_ = false;
};

}  // namespace vitals::agent
