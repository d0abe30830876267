#pragma once
// Drives the runner on a Timers loop: a forced run at start(), a run every `interval` (every
// `not_ready_interval` while not ready, so a hub that starts before its stream or agents turns
// ready soon after they come), and every
// `publish_interval` a re-evaluation (overrides may have expired) and a publish of the flag, so
// a subscriber that came late learns it within that time; and every `watch_interval` (0 = off)
// the checks that follow the hub's live state (service_status), so `ready` turns false within
// that time of a required service going down. Runs on the timers' loop thread.
#include <algorithm>
#include <chrono>

#include "common/time/clock.hpp"
#include "hub/preflight/preflight_runner.hpp"

namespace vitals::hub::preflight {

class PreflightScheduler {
 public:
  PreflightScheduler(const Clock& clock, Timers& timers, PreflightRunner& runner,
                     std::chrono::milliseconds interval, std::chrono::milliseconds publish_interval,
                     std::chrono::milliseconds not_ready_interval,
                     std::chrono::milliseconds watch_interval = std::chrono::milliseconds{0})
      : clock_(clock),
        timers_(timers),
        runner_(runner),
        interval_(interval),
        publish_interval_(publish_interval),
        not_ready_interval_(std::min(not_ready_interval, interval)),
        watch_interval_(watch_interval) {}

  // Loop thread.
  void start();
  void stop();

 private:
  void scheduleRun();
  void schedulePublish();
  void scheduleWatch();

  const Clock& clock_;
  Timers& timers_;
  PreflightRunner& runner_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds publish_interval_;
  std::chrono::milliseconds not_ready_interval_;
  std::chrono::milliseconds watch_interval_;
  TimerId run_timer_ = 0;
  TimerId publish_timer_ = 0;
  TimerId watch_timer_ = 0;
  bool stopped_ = false;
};

}  // namespace vitals::hub::preflight
