#pragma once
// Test clock + timers: time moves only when advance() is called, and due timers fire in order
// of their deadline (ties in scheduling order).
#include <map>
#include <utility>

#include "common/time/clock.hpp"

namespace vitals {

class ManualTime final : public Clock, public Timers {
 public:
  explicit ManualTime(SystemTime wall_start = SystemTime{std::chrono::seconds{1'800'000'000}})
      : wall_start_(wall_start) {}

  SystemTime now() const override {
    return wall_start_ + std::chrono::duration_cast<SystemTime::duration>(steady_ - SteadyTime{});
  }
  SteadyTime steadyNow() const override { return steady_; }

  TimerId scheduleAt(SteadyTime when, std::function<void()> fn) override {
    TimerId id = ++next_id_;
    pending_.emplace(std::make_pair(when, id), std::move(fn));
    return id;
  }
  void cancel(TimerId id) override {
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->first.second == id) {
        pending_.erase(it);
        return;
      }
    }
  }
  // Moves time forward by d, firing every timer that falls due on the way, in order; timers
  // scheduled by callbacks fire too if they fall within the window.
  void advance(std::chrono::nanoseconds d) {
    const SteadyTime end = steady_ + d;
    while (!pending_.empty() && pending_.begin()->first.first <= end) {
      auto node = pending_.extract(pending_.begin());
      if (node.key().first > steady_) {
        steady_ = node.key().first;
      }
      node.mapped()();
    }
    steady_ = end;
  }
  // Runs timers due now (advance(0)).
  void runDue() { advance(std::chrono::nanoseconds{0}); }
  std::size_t pendingCount() const { return pending_.size(); }

 private:
  SystemTime wall_start_;
  SteadyTime steady_{std::chrono::seconds{1000}};
  TimerId next_id_ = 0;
  std::map<std::pair<SteadyTime, TimerId>, std::function<void()>> pending_;
};

}  // namespace vitals
