#include "common/asio/asio_timers.hpp"

#include <algorithm>

namespace vitals {
namespace {

// std::*_heap keep the greatest element first; "greater" puts the earliest first.
struct Later {
  template <typename T>
  bool operator()(const T& a, const T& b) const {
    return a.when != b.when ? a.when > b.when : a.id > b.id;
  }
};

}  // namespace

// timer_'s destructor cancels its wait; the handler then sees alive_ gone.
AsioTimers::~AsioTimers() { alive_.reset(); }

TimerId AsioTimers::scheduleAt(SteadyTime when, std::function<void()> fn) {
  const TimerId id = ++next_id_;
  live_.emplace(id, Live{when, std::move(fn)});
  heap_.push_back(Due{when, id});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  if (!armed_ || when < armed_for_) {
    arm();
  }
  return id;
}

void AsioTimers::cancel(TimerId id) {
  auto it = live_.find(id);
  if (it == live_.end()) {
    return;
  }
  const SteadyTime when = it->second.when;
  live_.erase(it);
  // Its heap entry goes when it reaches the top; many cancelled entries are swept at once.
  if (heap_.size() > 1024 && heap_.size() > 2 * live_.size()) {
    compact();
  }
  // The Asio wait is for the earliest timer: when that one goes, wait for the next one or for
  // nothing, so that an io_context with no other work returns from run().
  if (armed_ && when <= armed_for_) {
    arm();
  }
}

void AsioTimers::compact() {
  heap_.clear();
  heap_.reserve(live_.size());
  for (const auto& [id, t] : live_) {
    heap_.push_back(Due{t.when, id});
  }
  std::make_heap(heap_.begin(), heap_.end(), Later{});
}

void AsioTimers::arm() {
  while (!heap_.empty() && live_.count(heap_.front().id) == 0) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
  }
  if (heap_.empty()) {
    if (armed_) {
      ++generation_;
      armed_ = false;
      timer_.cancel();
    }
    return;
  }
  const SteadyTime next = heap_.front().when;
  if (armed_ && armed_for_ == next) {
    return;
  }
  armed_ = true;
  armed_for_ = next;
  const std::uint64_t generation = ++generation_;
  timer_.expires_at(next);  // a wait in progress completes with operation_aborted
  timer_.async_wait(
      [this, generation, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
        if (ec || alive.expired()) {
          return;
        }
        fire(generation);
      });
}

void AsioTimers::fire(std::uint64_t generation) {
  if (generation != generation_) {
    return;  // completed just before a re-arm; the current wait covers its timers
  }
  armed_ = false;
  const std::weak_ptr<int> alive = alive_;
  const SteadyTime now = std::chrono::steady_clock::now();
  // Timers scheduled by these callbacks wait for the next turn of the loop, even when already
  // due: a callback that keeps re-scheduling itself "now" cannot starve the loop.
  const TimerId last = next_id_;
  while (!heap_.empty()) {
    const Due top = heap_.front();
    auto it = live_.find(top.id);
    if (it != live_.end() && (top.when > now || top.id > last)) {
      break;
    }
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
    if (it == live_.end()) {
      continue;  // cancelled
    }
    auto fn = std::move(it->second.fn);
    live_.erase(it);
    fn();
    if (alive.expired()) {
      return;  // the callback destroyed these timers
    }
  }
  arm();
}

}  // namespace vitals
