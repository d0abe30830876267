#pragma once
#include <memory>
#include <unordered_map>

#include "common/asio/asio.hpp"
#include "common/time/clock.hpp"

namespace vitals {

// Timers on an io_context. Not thread-safe: call from the io_context's thread. A cancelled
// timer's callback never runs, even if it had already expired; none runs after destruction.
class AsioTimers final : public Timers {
 public:
  explicit AsioTimers(boost::asio::io_context& io) : io_(io) {}
  ~AsioTimers() override;
  TimerId scheduleAt(SteadyTime when, std::function<void()> fn) override;
  void cancel(TimerId id) override;

 private:
  boost::asio::io_context& io_;
  TimerId next_id_ = 0;
  std::unordered_map<TimerId, std::unique_ptr<boost::asio::steady_timer>> timers_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // handlers hold a weak_ptr
};

}  // namespace vitals
