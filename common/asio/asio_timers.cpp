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
  // A timer that already expired cannot be cancelled any more: its handler is queued with
  // success. So the handler checks that the id is still scheduled (cancel() removes it) and that
  // this object still exists (the weak token dies with it).
  timer->async_wait([this, id, alive = std::weak_ptr<int>(alive_),
                     fn = std::move(fn)](const boost::system::error_code& ec) {
    if (ec || alive.expired()) {
      return;
    }
    auto it = timers_.find(id);
    if (it == timers_.end()) {
      return;  // cancelled after it expired
    }
    timers_.erase(it);
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
