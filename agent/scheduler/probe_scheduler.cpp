#include "agent/scheduler/probe_scheduler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "common/time/backoff.hpp"
#include "common/time/duration_format.hpp"

namespace vitals::agent {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr double kJitter = 0.2;  // retry delays vary by +-20% so failing checks don't align
constexpr std::size_t kLatenessWindow = 4096;  // runs the lateness quantiles are computed over
constexpr std::size_t kLatenessEvery = 1024;   // recompute after this many runs...
constexpr auto kLatenessMaxAge = std::chrono::seconds{5};  // ...or this long

// Per-check counters. Only runs_total exists for every check; the others appear on their first
// increment (most checks never time out or get skipped, and 2,000 checks x 5 idle series cost
// about 0.9 MiB of registry nodes).
enum PerCheck : std::size_t { kRuns, kSkipped, kTimeouts, kLate, kDeferred, kPerCheckCount };
struct PerCheckMetric {
  const char* name;
  const char* help;
};
constexpr PerCheckMetric kPerCheck[kPerCheckCount] = {
    {"vitals_agent_check_runs_total", "Probe runs started"},
    {"vitals_agent_check_skipped_total",
     "Runs not started because the previous run of the check had not returned"},
    {"vitals_agent_check_timeouts_total", "Runs that hit the check timeout"},
    {"vitals_agent_check_late_outcomes_total",
     "Probe outcomes that arrived after their timeout (ignored)"},
    {"vitals_agent_check_deferred_total",
     "Runs delayed because a heavy check of the same target was running"},
};

}  // namespace

struct ProbeScheduler::Entry {
  ScheduledCheck check;
  FlapState flap;
  bool removed = false;
  bool gate_waiting = false;  // queued behind another heavy check of the same target
  bool gate_held = false;
  std::unique_ptr<Probe> probe;
  CheckState state;
  TimerId next_timer = 0;
  TimerId timeout_timer = 0;
  std::uint64_t run_id = 0;
  bool in_flight = false;  // the probe has not called back yet (even after a timeout)
  bool awaiting = false;   // the current run has not produced its result yet
  SteadyTime run_started{};
  std::uint32_t attempt = 1;  // of the next or current run
  SteadyTime planned{};       // when the pending timer was meant to fire
  struct Waiter {
    bool verbose = false;
    ProbeScheduler::RunNowDone done;
  };
  std::vector<Waiter> waiters;  // runNow callers waiting for the next result
  std::array<metrics::Counter*, kPerCheckCount> counters{};  // see PerCheck
  std::weak_ptr<Entry> self;  // for callbacks (set by add; a scan of entries_ per run cost O(n))
};

ScheduledCheck scheduledCheck(const CheckConfig& c) {
  ScheduledCheck s;
  s.name = c.name;
  s.service = c.service;
  s.kind = c.kind;
  s.interval = c.interval;
  s.timeout = c.timeout;
  s.retry_backoff = c.retry_backoff;
  s.thresholds.retries = c.retries;
  s.thresholds.recover = c.recover;
  if (c.degraded_latency) {
    s.thresholds.degraded_latency = duration_cast<microseconds>(*c.degraded_latency);
  }
  s.flap.high = c.flap_high;
  s.flap.low = c.flap_low;
  s.target = c.target();
  s.heavy = c.heavy;
  if (c.heavy) {
    s.target_key = targetKey(c);
  }
  if (c.kind == "scan") {
    s.first_run_within = std::min<milliseconds>(c.interval, std::chrono::minutes{1});
  }
  s.definition = definitionDigest(c);
  return s;
}

std::string targetKey(const CheckConfig& c) {
  if (const auto* http = std::get_if<HttpCheckSpec>(&c.spec)) {
    return http->host + ":" + std::to_string(http->port);
  }
  if (std::holds_alternative<ScanCheckSpec>(c.spec)) {
    return "scan";  // scanners are CPU and disk heavy: one at a time per agent
  }
  return c.target();  // "host:port" for tcp and the other network kinds
}

milliseconds retryDelay(milliseconds backoff, std::uint32_t failures, milliseconds interval,
                        Random& random) {
  BackoffPolicy policy =
      withSpreadJitter(BackoffPolicy{.initial = backoff, .max = interval}, kJitter);
  policy.cap_after_jitter = true;  // a retry never waits longer than the next regular run
  return Backoff{policy}.delay(failures, random);
}

ProbeScheduler::ProbeScheduler(Clock& clock, Timers& timers, Random& random, Sink sink,
                               metrics::Registry& metrics, std::shared_ptr<spdlog::logger> logger)
    : clock_(clock),
      timers_(timers),
      random_(random),
      sink_(std::move(sink)),
      metrics_(metrics),
      logger_(std::move(logger)),
      runs_total_(
          metrics.counter("vitals_agent_probe_runs_total", "Probe runs started, all checks")),
      lateness_(metrics, kLatenessWindow, kLatenessEvery, kLatenessMaxAge) {}

LatenessWindow::LatenessWindow(metrics::Registry& metrics, std::size_t window, std::size_t every,
                               SteadyTime::duration max_age)
    : ring_(window),
      scratch_(window),
      every_(every),
      max_age_(max_age),
      summary_(metrics.summary("vitals_agent_schedule_lateness_seconds",
                               "Actual minus planned start of probe runs (quantiles over the "
                               "last 4096 runs; sum and count since start)",
                               {0.5, 0.99, 1.0})) {}

void LatenessWindow::record(SteadyTime::duration lateness, SteadyTime now) {
  ring_[next_] =
      std::chrono::duration<float>(std::max(lateness, SteadyTime::duration::zero())).count();
  summary_.observe(static_cast<double>(ring_[next_]));
  next_ = (next_ + 1) % ring_.size();
  filled_ = std::min(filled_ + 1, ring_.size());
  if (++since_publish_ >= every_ || now - last_publish_ >= max_age_) {
    publish(now);
  }
}

void LatenessWindow::publish(SteadyTime now) {
  since_publish_ = 0;
  last_publish_ = now;
  const auto begin = scratch_.begin();
  const auto end = begin + static_cast<std::ptrdiff_t>(filled_);
  std::copy(ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(filled_), begin);
  auto at = [&](double q) {
    const auto k = static_cast<std::ptrdiff_t>(q * static_cast<double>(filled_ - 1));
    std::nth_element(begin, begin + k, end);
    return static_cast<double>(*(begin + k));
  };
  summary_.setQuantile(0, at(0.5));
  summary_.setQuantile(1, at(0.99));
  summary_.setQuantile(2, static_cast<double>(*std::max_element(begin, end)));
}

ProbeScheduler::~ProbeScheduler() { stop(); }

void ProbeScheduler::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  for (auto& e : entries_) {
    timers_.cancel(e->next_timer);
    timers_.cancel(e->timeout_timer);
    e->awaiting = false;
    notifyGone(*e);
  }
}

void ProbeScheduler::notifyGone(Entry& e) {
  auto waiters = std::move(e.waiters);
  e.waiters.clear();
  for (auto& w : waiters) {
    try {
      w.done(std::nullopt);
    } catch (const std::exception& ex) {
      logger_->error("check {}: run-now callback threw: {}", e.check.name, ex.what());
    }
  }
}

bool ProbeScheduler::runNow(const std::string& name, bool verbose, RunNowDone done) {
  auto* found = const_cast<Entry*>(find(name));
  if (found == nullptr || stopped_) {
    return false;
  }
  Entry& e = *found;
  e.waiters.push_back(Entry::Waiter{verbose, std::move(done)});
  if (e.awaiting || e.gate_waiting) {
    return true;  // a run is on its way: its result answers this request too
  }
  timers_.cancel(e.next_timer);
  e.next_timer = 0;
  // A fresh timer turn, so done is never called from inside runNow.
  scheduleAt(e, clock_.steadyNow());
  return true;
}

std::vector<std::string> ProbeScheduler::checksOfService(const std::string& service) const {
  std::vector<std::string> out;
  for (const auto& e : entries_) {
    if (!e->removed && e->check.service == service) {
      out.push_back(e->check.name);
    }
  }
  return out;
}

std::vector<CheckSpec> ProbeScheduler::checkSpecs() const {
  std::vector<CheckSpec> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) {
    if (e->removed) {
      continue;
    }
    CheckSpec spec;
    spec.name = e->check.name;
    spec.service = e->check.service;
    spec.kind = e->check.kind;
    spec.target = e->check.target;
    spec.interval = e->check.interval;
    spec.timeout = e->check.timeout;
    spec.retries = e->check.thresholds.retries;
    spec.degraded_latency =
        duration_cast<milliseconds>(e->check.thresholds.degraded_latency.value_or(microseconds{0}));
    out.push_back(std::move(spec));
  }
  return out;
}

std::vector<RunningCheck> ProbeScheduler::runningChecks() const {
  std::vector<RunningCheck> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) {
    if (!e->removed) {
      out.push_back(RunningCheck{e->check.name, e->check.definition});
    }
  }
  return out;
}

const ProbeScheduler::Entry* ProbeScheduler::find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (!e->removed && e->check.name == name) {
      return e.get();
    }
  }
  return nullptr;
}

CheckState ProbeScheduler::state(const std::string& name) const {
  const Entry* e = find(name);
  return e != nullptr ? e->state : CheckState{};
}

FlapState ProbeScheduler::flapState(const std::string& name) const {
  const Entry* e = find(name);
  return e != nullptr ? e->flap : FlapState{};
}

bool ProbeScheduler::contains(const std::string& name) const { return find(name) != nullptr; }

std::size_t ProbeScheduler::size() const {
  return static_cast<std::size_t>(
      std::count_if(entries_.begin(), entries_.end(), [](const auto& e) { return !e->removed; }));
}

bool ProbeScheduler::remove(const std::string& name) {
  auto* found = const_cast<Entry*>(find(name));
  if (found == nullptr) {
    return false;
  }
  Entry& e = *found;
  e.removed = true;
  e.awaiting = false;
  notifyGone(e);
  timers_.cancel(e.next_timer);
  timers_.cancel(e.timeout_timer);
  e.next_timer = 0;
  e.timeout_timer = 0;
  releaseGate(e);
  if (!e.in_flight) {
    forget(e);
  }
  return true;
}

void ProbeScheduler::forget(Entry& e) {
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&e](const auto& p) { return p.get() == &e; }),
                 entries_.end());
}

void ProbeScheduler::add(ScheduledCheck check, std::unique_ptr<Probe> probe) {
  auto entry = std::make_shared<Entry>();
  entry->self = entry;
  entry->check = std::move(check);
  entry->probe = std::move(probe);
  Entry& e = *entry;
  entries_.push_back(std::move(entry));
  if (stopped_) {
    return;
  }
  // Spread first runs over the interval so checks added together never stampede.
  const auto spread =
      e.check.first_run_within.count() > 0 ? e.check.first_run_within : e.check.interval;
  const auto offset = duration_cast<SteadyTime::duration>(std::chrono::duration<double, std::milli>(
      random_.uniform() * static_cast<double>(spread.count())));
  scheduleAt(e, clock_.steadyNow() + offset);
}

void ProbeScheduler::count(Entry& e, std::size_t which) {
  auto*& counter = e.counters[which];
  if (counter == nullptr) {
    counter = &metrics_.counter(kPerCheck[which].name, kPerCheck[which].help,
                                "check=\"" + e.check.name + "\"");
  }
  counter->inc();
}

void ProbeScheduler::scheduleAt(Entry& e, SteadyTime when) {
  e.planned = when;
  std::weak_ptr<bool> alive = alive_;
  std::weak_ptr<Entry> weak = e.self;
  e.next_timer = timers_.scheduleAt(when, [this, alive, weak] {
    auto entry = weak.lock();
    if (alive.expired() || !entry || entry->removed) {
      return;
    }
    entry->next_timer = 0;
    turn(*entry);
  });
}

void ProbeScheduler::releaseGate(Entry& e) {
  if (e.gate_waiting) {
    e.gate_waiting = false;  // its weak_ptr in the queue is skipped below
  }
  if (!e.gate_held) {
    return;
  }
  e.gate_held = false;
  auto it = gates_.find(e.check.target_key);
  if (it == gates_.end()) {
    return;
  }
  Gate& gate = it->second;
  gate.busy = false;
  while (!gate.waiting.empty()) {
    auto next = gate.waiting.front().lock();
    gate.waiting.pop_front();
    if (next && !next->removed && next->gate_waiting) {
      next->gate_waiting = false;
      // Start on a fresh timer turn, not inside the finishing check's callback.
      scheduleAt(*next, clock_.steadyNow());
      return;
    }
  }
  gates_.erase(it);
}

void ProbeScheduler::turn(Entry& e) {
  if (stopped_) {
    return;
  }
  const SteadyTime now = clock_.steadyNow();
  lateness_.record(now - e.planned, now);
  if (e.in_flight) {
    // The probe from an earlier run is still busy (it outlived its timeout). Never run a check
    // twice at once; report the hang as a timeout so the check cannot look healthy.
    count(e, kSkipped);
    logger_->warn("check {}: previous run has not returned; skipping this run", e.check.name);
    e.run_started = now;
    ProbeOutcome o =
        ProbeOutcome::down(FailureKind::Timeout, duration_cast<microseconds>(e.check.timeout),
                           "skipped: the previous run has not returned");
    e.awaiting = true;
    finish(e, std::move(o));
    return;
  }
  if (e.check.heavy && !e.check.target_key.empty()) {
    Gate& gate = gates_[e.check.target_key];
    if (gate.busy) {
      // Another heavy check of this target is running: wait for it instead of piling on.
      count(e, kDeferred);
      if (!e.gate_waiting) {
        e.gate_waiting = true;
        gate.waiting.push_back(e.self);
      }
      return;
    }
    gate.busy = true;
    e.gate_held = true;
  }
  start(e);
}

void ProbeScheduler::start(Entry& e) {
  const SteadyTime now = clock_.steadyNow();
  const std::uint64_t id = ++e.run_id;
  e.in_flight = true;
  e.awaiting = true;
  e.run_started = now;
  count(e, kRuns);
  runs_total_.inc();
  std::weak_ptr<bool> alive = alive_;
  std::weak_ptr<Entry> weak = e.self;
  e.timeout_timer = timers_.scheduleAt(now + e.check.timeout, [this, alive, weak, id] {
    auto entry = weak.lock();
    if (!alive.expired() && entry) {
      onTimeout(*entry, id);
    }
  });
  try {
    e.probe->run(e.check.timeout, [this, alive, weak, id](ProbeOutcome outcome) {
      auto entry = weak.lock();
      if (!alive.expired() && entry) {
        onOutcome(*entry, id, std::move(outcome));
      }
    });
  } catch (const std::exception& ex) {
    // A probe that cannot start is a failed run, not a crashed agent.
    if (e.run_id == id && e.in_flight) {
      onOutcome(e, id,
                ProbeOutcome::down(FailureKind::Error, microseconds{0},
                                   std::string("probe failed to start: ") + ex.what()));
    }
  }
}

void ProbeScheduler::onOutcome(Entry& e, std::uint64_t run_id, ProbeOutcome outcome) {
  if (run_id != e.run_id) {
    return;  // from a run superseded long ago
  }
  e.in_flight = false;
  if (e.removed) {
    forget(e);  // the check was removed while this run was out; e is gone after this line
    return;
  }
  releaseGate(e);
  if (!e.awaiting) {
    count(e, kLate);
    logger_->debug("check {}: outcome after timeout ignored: {}", e.check.name, outcome.message);
    return;
  }
  timers_.cancel(e.timeout_timer);
  e.timeout_timer = 0;
  finish(e, std::move(outcome));
}

void ProbeScheduler::onTimeout(Entry& e, std::uint64_t run_id) {
  e.timeout_timer = 0;
  if (run_id != e.run_id || !e.awaiting) {
    return;
  }
  count(e, kTimeouts);
  releaseGate(e);  // a hung probe must not hold other heavy checks of its target forever
  finish(e, ProbeOutcome::down(FailureKind::Timeout, duration_cast<microseconds>(e.check.timeout),
                               "timed out after " + formatDuration(e.check.timeout)));
}

void ProbeScheduler::finish(Entry& e, ProbeOutcome outcome) {
  e.awaiting = false;
  const CheckState before = e.state;
  e.state = apply(before, outcome, e.check.thresholds);

  const FlapUpdate flap = updateFlap(e.flap, outcome.raw_status, e.check.flap);
  e.flap = flap.state;

  CheckResult r;
  r.flapping = e.flap.flapping;
  r.service = e.check.service;
  r.check = e.check.name;
  r.kind = e.check.kind;
  r.status = e.state.status;
  r.raw_status = outcome.raw_status;
  r.latency = outcome.latency;
  r.message = outcome.message;
  r.details = std::move(outcome.details);
  r.observed_at = clock_.now();
  r.failure_kind = outcome.failure_kind;
  r.scan = std::move(outcome.scan);
  r.attempt = e.attempt;
  r.consecutive_failures = e.state.consecutive_failures;
  if (flap.event != FlapEvent::None) {
    const bool started = flap.event == FlapEvent::Started;
    r.details["flap"] = started ? "started" : "stopped";
    r.details["flap_percent"] = std::to_string(static_cast<int>(e.flap.percent + 0.5));
    r.message += started ? " (flapping started)" : " (flapping stopped)";
    logger_->warn("check {}: flapping {} ({:.0f}% state changes)", e.check.name,
                  started ? "started" : "stopped", e.flap.percent);
  }

  if (before.status != e.state.status) {
    logger_->info("check {}: {} -> {} ({})", e.check.name, toString(before.status),
                  toString(e.state.status), r.message);
  } else {
    logger_->debug("check {}: {} attempt {} ({})", e.check.name, toString(e.state.status),
                   r.attempt, r.message);
  }

  // Next run: a retry after backoff while a failing check is not down yet, else one interval
  // after this run started.
  const SteadyTime now = clock_.steadyNow();
  const bool failed = outcome.raw_status == HealthStatus::Down;
  if (failed && e.state.status != HealthStatus::Down) {
    const auto delay =
        retryDelay(e.check.retry_backoff, e.state.consecutive_failures, e.check.interval, random_);
    e.attempt += 1;
    if (!stopped_) {
      scheduleAt(e, now + delay);
    }
  } else {
    e.attempt = 1;
    if (!stopped_) {
      scheduleAt(e, std::max(now, e.run_started + e.check.interval));
    }
  }

  if (!e.waiters.empty()) {
    auto waiters = std::move(e.waiters);
    e.waiters.clear();
    for (auto& w : waiters) {
      CheckResult copy = r;
      if (w.verbose) {
        copy.details["diagnose.target"] = e.check.target;
        copy.details["diagnose.interval"] = formatDuration(e.check.interval);
        copy.details["diagnose.timeout"] = formatDuration(e.check.timeout);
        copy.details["diagnose.retries"] = std::to_string(e.check.thresholds.retries);
        copy.details["diagnose.status_before"] = std::string(toString(before.status));
        copy.details["diagnose.flap_percent"] =
            std::to_string(static_cast<int>(e.flap.percent + 0.5));
        copy.details["diagnose.heavy"] = e.check.heavy ? "true" : "false";
        copy.details["diagnose.runs"] =
            std::to_string(e.counters[kRuns] != nullptr ? e.counters[kRuns]->value() : 0);
      }
      try {
        w.done(std::move(copy));
      } catch (const std::exception& ex) {
        logger_->error("check {}: run-now callback threw: {}", e.check.name, ex.what());
      }
    }
  }

  try {
    sink_(std::move(r));
  } catch (const std::exception& ex) {
    logger_->error("check {}: result sink threw: {}", e.check.name, ex.what());
  }
}

}  // namespace vitals::agent
