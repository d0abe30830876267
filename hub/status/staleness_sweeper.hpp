#pragma once
// Runs StatusTracker::sweep() every `interval` on a Timers loop (AsioTimers in the hub,
// ManualTime in tests). start()/stop() on the timers' thread.
#include <chrono>
#include <functional>
#include <optional>

#include "common/time/clock.hpp"

namespace vitals::hub::status {

class StalenessSweeper {
 public:
  StalenessSweeper(const Clock& clock, Timers& timers, std::chrono::milliseconds interval,
                   std::function<void()> sweep)
      : clock_(clock), timers_(timers), interval_(interval), sweep_(std::move(sweep)) {}
  ~StalenessSweeper() { stop(); }
  StalenessSweeper(const StalenessSweeper&) = delete;
  StalenessSweeper& operator=(const StalenessSweeper&) = delete;

  void start();
  void stop();
  int sweeps() const { return sweeps_; }
  int failures() const { return failures_; }  // sweeps that threw

 private:
  void arm();
  const Clock& clock_;
  Timers& timers_;
  std::chrono::milliseconds interval_;
  std::function<void()> sweep_;
  std::optional<TimerId> timer_;
  int sweeps_ = 0;
  int failures_ = 0;
  bool stopped_ = false;
};

}  // namespace vitals::hub::status
