#include "common/asio/asio_timers.hpp"

namespace vitals {

AsioTimers::~AsioTimers() {
  for (auto& [id, t] : timers_) {
    t->cancel();
  }
}

TimerId AsioTimers::scheduleAt(SteadyTime when, std::function<void()> fn) {
  const TimerId id = ++next_id_;
  auto timer = std::make_unique<boost::asio::steady_timer>(io_, when);
  timer->async_wait([this, id, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (ec) {
      return;  // cancelled; the map entry was already removed
    }
    timers_.erase(id);
    fn();
  });
  timers_.emplace(id, std::move(timer));
  return id;
}

void AsioTimers::cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it != timers_.end()) {
    it->second->cancel();
    timers_.erase(it);
  }
}

}  // namespace vitals
