#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/asio/asio.hpp"
#include "common/time/clock.hpp"

namespace vitals {

// Timers on an io_context. Not thread-safe: call from the io_context's thread. A cancelled
// timer's callback never runs (and is destroyed at once), even if it had already expired; none
// runs after destruction. Timers due at the same time run in the order they were scheduled.
//
// One Asio timer serves them all: a binary heap of (when, id) and the callbacks by id. An agent
// keeps one or two timers per check pending (thousands), and an Asio timer object, its wait
// operation and a map node per timer cost about 300 bytes and two allocations each
// (docs/benchmarks.md); this costs about 90 bytes and one.
class AsioTimers final : public Timers {
 public:
  explicit AsioTimers(boost::asio::io_context& io) : timer_(io) {}
  ~AsioTimers() override;
  AsioTimers(const AsioTimers&) = delete;
  AsioTimers& operator=(const AsioTimers&) = delete;

  TimerId scheduleAt(SteadyTime when, std::function<void()> fn) override;
  void cancel(TimerId id) override;
  std::size_t pending() const { return live_.size(); }

 private:
  struct Due {
    SteadyTime when;
    TimerId id;
  };
  struct Live {
    SteadyTime when;
    std::function<void()> fn;
  };
  void fire(std::uint64_t generation);
  void arm();
  void compact();

  boost::asio::steady_timer timer_;
  std::vector<Due> heap_;  // earliest (then lowest id) first; cancelled ids are skipped lazily
  std::unordered_map<TimerId, Live> live_;  // scheduled, not yet run, not cancelled
  TimerId next_id_ = 0;
  bool armed_ = false;
  SteadyTime armed_for_{};
  std::uint64_t generation_ = 0;  // of the current wait; older completions are ignored
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // handlers hold a weak_ptr
};

}  // namespace vitals
