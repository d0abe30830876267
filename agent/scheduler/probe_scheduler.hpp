#pragma once
// Runs every check on its own timer: first run at a random offset within its interval, timeout
// enforced by a timer, retries with exponential backoff and jitter while a failing check is not
// yet down, and one CheckResult per run handed to a sink. A check whose previous run has not
// returned is never started twice. Heavy checks (ScheduledCheck::heavy) that share a target key
// run one at a time: a turn that finds another heavy check of its target running waits until that
// run returns (or times out). Flap detection (agent/state/flap_detector.hpp) marks results.
// Single-threaded: every method and callback runs on the loop thread that drives the Timers.
// Lateness (a run's actual start minus its planned start) is exported as a summary: quantiles over
// the last kLatenessWindow runs, vitals_agent_schedule_lateness_seconds{quantile="0.5|0.99|1"},
// with _sum and _count over every run since start.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/config/agent_config.hpp"
#include "agent/config/reload_plan.hpp"
#include "agent/probe/probe.hpp"
#include "agent/state/check_state.hpp"
#include "agent/state/flap_detector.hpp"
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
  FlapSettings flap;
  std::string target;  // human-readable, as in the Registration (CheckConfig::target())
  // Heavy checks with the same non-empty target_key never run at the same time. Set for heavy
  // checks only.
  bool heavy = false;
  std::string target_key;
  // The first run comes at a random offset within this (0: within the interval). Scans (6h
  // interval) start within a minute instead of some time in the next six hours.
  std::chrono::milliseconds first_run_within{0};
  DefinitionDigest definition;  // what reload compares (agent/config/reload_plan.hpp)
};

ScheduledCheck scheduledCheck(const CheckConfig& check);

// "host:port" (http/tcp/postgres/redis...) or the check's target; what "the same target" means
// for serialising heavy checks.
std::string targetKey(const CheckConfig& check);

// Delay before retry number n (n >= 1 consecutive failures): backoff * 2^(n-1), times a jitter
// factor in [0.8, 1.2) drawn from random, capped at interval.
std::chrono::milliseconds retryDelay(std::chrono::milliseconds backoff, std::uint32_t failures,
                                     std::chrono::milliseconds interval, Random& random);

// Quantiles of the last `window` samples in a fixed ring (no allocation after construction),
// recomputed every `every` samples or when `max_age` has passed since the last recomputation.
class LatenessWindow {
 public:
  LatenessWindow(metrics::Registry& metrics, std::size_t window, std::size_t every,
                 SteadyTime::duration max_age);
  void record(SteadyTime::duration lateness, SteadyTime now);

 private:
  void publish(SteadyTime now);
  std::vector<float> ring_;     // seconds
  std::vector<float> scratch_;  // reused for nth_element
  std::size_t next_ = 0;
  std::size_t filled_ = 0;
  std::size_t since_publish_ = 0;
  std::size_t every_;
  SteadyTime::duration max_age_;
  SteadyTime last_publish_{};
  // quantiles 0.5, 0.99 and 1 (the maximum) of the window; _sum and _count over every run.
  metrics::Summary& summary_;
};

class ProbeScheduler {
 public:
  // Receives every result (agent_id/boot_id/seq still empty: the pipeline fills them).
  using Sink = std::function<void(CheckResult)>;

  ProbeScheduler(Clock& clock, Timers& timers, Random& random, Sink sink,
                 metrics::Registry& metrics, std::shared_ptr<spdlog::logger> logger);
  ~ProbeScheduler();
  ProbeScheduler(const ProbeScheduler&) = delete;
  ProbeScheduler& operator=(const ProbeScheduler&) = delete;

  // Adds a check and schedules its first run at now + uniform() * interval. A check of the same
  // name must have been removed first.
  void add(ScheduledCheck check, std::unique_ptr<Probe> probe);
  // Stops a check: no more runs; a run in progress is ignored when it returns (the probe is
  // destroyed then). Returns false when no check has that name.
  bool remove(const std::string& name);
  bool contains(const std::string& name) const;
  // Cancels every timer; outcomes that arrive later are ignored. Idempotent.
  void stop();

  // Runs a check now (a `recheck`/`diagnose` command): a run already in progress is joined
  // instead of starting another; otherwise the next turn happens at once (a heavy check still
  // waits for its target). done gets the run's result (which also goes to the sink as usual),
  // with the scheduler's view of the check added to details when verbose; nullopt when the
  // check is removed or the scheduler stops first. Returns false (done not called) when there
  // is no such check or the scheduler is stopped.
  using RunNowDone = std::function<void(std::optional<CheckResult>)>;
  bool runNow(const std::string& name, bool verbose, RunNowDone done);
  // Names of the checks of a service, in the order they were added.
  std::vector<std::string> checksOfService(const std::string& service) const;
  // What a Registration lists for each check, in the order they were added.
  std::vector<CheckSpec> checkSpecs() const;
  // Name and definition digest of each check, for a reload plan.
  std::vector<RunningCheck> runningChecks() const;

  std::size_t size() const;
  // Current state of a check by name (Unknown/zeros if not found).
  CheckState state(const std::string& name) const;
  FlapState flapState(const std::string& name) const;

 private:
  struct Entry;
  struct Gate {
    bool busy = false;
    std::deque<std::weak_ptr<Entry>> waiting;
  };
  void turn(Entry& e);
  void start(Entry& e);
  void onOutcome(Entry& e, std::uint64_t run_id, ProbeOutcome outcome);
  void onTimeout(Entry& e, std::uint64_t run_id);
  void finish(Entry& e, ProbeOutcome outcome);
  void scheduleAt(Entry& e, SteadyTime when);
  void count(Entry& e, std::size_t which);  // a per-check counter, created on first use
  void releaseGate(Entry& e);
  void forget(Entry& e);
  void notifyGone(Entry& e);
  const Entry* find(const std::string& name) const;

  Clock& clock_;
  Timers& timers_;
  Random& random_;
  Sink sink_;
  metrics::Registry& metrics_;
  std::shared_ptr<spdlog::logger> logger_;
  metrics::Counter& runs_total_;
  LatenessWindow lateness_;
  std::vector<std::shared_ptr<Entry>> entries_;  // callbacks hold weak_ptrs to these
  std::map<std::string, Gate> gates_;            // by target key, heavy checks only
  // Callbacks hold a weak_ptr to this: a probe finishing after the scheduler is gone is ignored.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool stopped_ = false;
};

}  // namespace vitals::agent
