#pragma once
// Drives the runner on a Timers loop: a forced run at start(), a run every `interval`, and every
// `publish_interval` a re-evaluation (overrides may have expired) and a publish of the flag, so
// a subscriber that came late learns it within that time. Runs on the timers' loop thread.
#include <chrono>

#include "common/time/clock.hpp"
#include "hub/preflight/preflight_runner.hpp"

namespace vitals::hub::preflight {

class PreflightScheduler {
 public:
  PreflightScheduler(const Clock& clock, Timers& timers, PreflightRunner& runner,
                     std::chrono::milliseconds interval, std::chrono::milliseconds publish_interval)
      : clock_(clock),
        timers_(timers),
        runner_(runner),
        interval_(interval),
        publish_interval_(publish_interval) {}

  // Loop thread.
  void start();
  void stop();

 private:
  void scheduleRun();
  void schedulePublish();

  const Clock& clock_;
  Timers& timers_;
  PreflightRunner& runner_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds publish_interval_;
  TimerId run_timer_ = 0;
  TimerId publish_timer_ = 0;
  bool stopped_ = false;
};

}  // namespace vitals::hub::preflight
