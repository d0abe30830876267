#include "hub/preflight/preflight_runner.hpp"

#include <algorithm>

namespace vitals::hub::preflight {

bool decideReady(std::vector<CheckReport>& checks, const std::vector<Override>& overrides) {
  bool ready = true;
  for (auto& c : checks) {
    c.overridden = false;
    c.override_info.reset();
    if (c.passed) {
      continue;
    }
    auto o = std::find_if(overrides.begin(), overrides.end(),
                          [&c](const Override& x) { return x.check == c.name; });
    if (o != overrides.end()) {
      c.overridden = true;
      c.override_info = *o;
    } else if (c.required) {
      ready = false;
    }
  }
  return ready;
}

PreflightRunner::PreflightRunner(const Clock& clock, OverrideStore& overrides,
                                 metrics::Registry& metrics, ReadyPublisher publish)
    : clock_(clock),
      overrides_(overrides),
      metrics_(metrics),
      publish_(std::move(publish)),
      ready_gauge_(metrics.gauge("vitals_preflight_ready",
                                 "1 when every required pre-flight check passed or is overridden")),
      runs_(metrics.counter("vitals_preflight_runs_total", "Pre-flight checklist runs")) {
  report_.evaluated_at = clock_.now();
}

void PreflightRunner::add(std::string name, std::string kind, bool required,
                          std::unique_ptr<PreflightCheck> check) {
  std::lock_guard lock(run_mu_);
  CheckReport r;
  r.name = name;
  r.kind = kind;
  r.required = required;
  r.error = "not run yet";
  {
    // Listed (not run, not ready) until the first run, e.g. while the database is not up yet.
    std::lock_guard rl(report_mu_);
    report_.checks.push_back(r);
  }
  entries_.push_back(Entry{std::move(name), std::move(kind), required, std::move(check), r});
}

bool PreflightRunner::has(const std::string& name) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&name](const Entry& e) { return e.name == name; });
}

bool PreflightRunner::runEntry(Entry& e, const RunContext& ctx) {
  const auto start = clock_.steadyNow();
  CheckOutcome out;
  try {
    out = e.check->run(ctx);
  } catch (const std::exception& ex) {
    out = CheckOutcome::fail(std::string("check threw: ") + ex.what());
  }
  const bool changed =
      !e.last.ran || e.last.passed != out.passed || (!out.passed && e.last.error != out.error);
  e.last.ran = true;
  e.last.passed = out.passed;
  e.last.error = out.passed ? std::string() : out.error;
  e.last.detail = out.detail;
  e.last.checked_at = clock_.now();
  e.last.duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steadyNow() - start);
  metrics_
      .gauge("vitals_preflight_check_passed", "1 when the pre-flight check passed",
             "check=\"" + e.name + "\"")
      .set(out.passed ? 1 : 0);
  return changed;
}

PreflightReport PreflightRunner::run(const RunContext& ctx) {
  std::lock_guard lock(run_mu_);
  for (auto& e : entries_) {
    runEntry(e, ctx);
  }
  last_run_ = clock_.now();
  runs_.inc();
  return evaluateLocked();
}

void PreflightRunner::runLive() {
  std::lock_guard lock(run_mu_);
  if (!last_run_) {
    return;
  }
  bool changed = false;
  for (auto& e : entries_) {
    if (e.check->followsLiveState()) {
      changed = runEntry(e, RunContext{false}) || changed;
    }
  }
  if (changed) {
    evaluateLocked();
  }
}

PreflightReport PreflightRunner::evaluate() {
  std::lock_guard lock(run_mu_);
  return evaluateLocked();
}

PreflightReport PreflightRunner::evaluateLocked() {
  PreflightReport r;
  r.evaluated_at = clock_.now();
  r.last_run = last_run_;
  for (const auto& e : entries_) {
    r.checks.push_back(e.last);
  }
  std::vector<Override> active;
  if (auto got = overrides_.active(r.evaluated_at); got.ok()) {
    active = std::move(got.value());
  } else {
    r.overrides_error = got.error().message;  // conservative: no override applies
  }
  r.ready = decideReady(r.checks, active);
  ready_gauge_.set(r.ready ? 1 : 0);
  {
    std::lock_guard rl(report_mu_);
    report_ = r;
  }
  if (!published_ready_ || *published_ready_ != r.ready) {
    published_ready_ = r.ready;
    publish_(r);
  }
  return r;
}

PreflightReport PreflightRunner::report() const {
  std::lock_guard lock(report_mu_);
  return report_;
}

void PreflightRunner::publishCurrent() { publish_(report()); }

}  // namespace vitals::hub::preflight
