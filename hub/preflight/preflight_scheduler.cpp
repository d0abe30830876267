#include "hub/preflight/preflight_scheduler.hpp"

namespace vitals::hub::preflight {

void PreflightScheduler::start() {
  stopped_ = false;
  runner_.run(RunContext{true});
  scheduleRun();
  schedulePublish();
  if (watch_interval_.count() > 0) {
    scheduleWatch();
  }
}

void PreflightScheduler::stop() {
  stopped_ = true;
  timers_.cancel(run_timer_);
  timers_.cancel(publish_timer_);
  timers_.cancel(watch_timer_);
}

void PreflightScheduler::scheduleWatch() {
  watch_timer_ = timers_.scheduleAfter(clock_.steadyNow(), watch_interval_, [this] {
    if (stopped_) {
      return;
    }
    runner_.runLive();
    scheduleWatch();
  });
}

void PreflightScheduler::scheduleRun() {
  const auto delay = runner_.report().ready ? interval_ : not_ready_interval_;
  run_timer_ = timers_.scheduleAfter(clock_.steadyNow(), delay, [this] {
    if (stopped_) {
      return;
    }
    runner_.run(RunContext{false});
    scheduleRun();
  });
}

void PreflightScheduler::schedulePublish() {
  publish_timer_ = timers_.scheduleAfter(clock_.steadyNow(), publish_interval_, [this] {
    if (stopped_) {
      return;
    }
    // evaluate() publishes by itself when the flag changed; otherwise repeat it.
    const bool before = runner_.report().ready;
    const auto now = runner_.evaluate();
    if (now.ready == before) {
      runner_.publishCurrent();
    }
    schedulePublish();
  });
}

}  // namespace vitals::hub::preflight
