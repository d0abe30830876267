#include "hub/status/staleness_sweeper.hpp"

namespace vitals::hub::status {

void StalenessSweeper::start() {
  stopped_ = false;
  if (!timer_) {
    arm();
  }
}

void StalenessSweeper::stop() {
  // A timer that already expired may still run its callback after cancel(): the flag stops it
  // from sweeping and re-arming.
  stopped_ = true;
  if (timer_) {
    timers_.cancel(*timer_);
    timer_.reset();
  }
}

void StalenessSweeper::arm() {
  timer_ = timers_.scheduleAfter(clock_.steadyNow(), interval_, [this] {
    if (stopped_) {
      return;
    }
    ++sweeps_;
    try {
      sweep_();  // the tracker logs its own errors; nothing may escape the event loop
    } catch (const std::exception&) {
      ++failures_;
    }
    arm();
  });
}

}  // namespace vitals::hub::status
