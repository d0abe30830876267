#include "hub/ingest/prefetching_source.hpp"

namespace vitals::hub::ingest {

PrefetchingSource::PrefetchingSource(MessageSource& inner, int max,
                                     std::chrono::milliseconds timeout)
    : inner_(inner), max_(max), timeout_(timeout), thread_([this] { run(); }) {}

PrefetchingSource::~PrefetchingSource() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();  // at most one inner fetch timeout; unconsumed messages are redelivered
}

void PrefetchingSource::run() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !ready_; });
      if (stopping_) {
        return;
      }
    }
    auto fetched = inner_.fetch(max_, timeout_);
    if (fetched.ok()) {
      if (fetched->empty()) {
        continue;
      }
      for (auto& m : fetched.value()) {
        m->predecode();
      }
    }
    {
      std::lock_guard lock(mu_);
      ready_.emplace(std::move(fetched));
    }
    cv_.notify_all();
  }
}

Result<MessageList> PrefetchingSource::fetch(int, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [this] { return ready_.has_value(); })) {
    return MessageList{};
  }
  Result<MessageList> out = std::move(*ready_);
  ready_.reset();
  lock.unlock();
  cv_.notify_all();
  return out;
}

}  // namespace vitals::hub::ingest
