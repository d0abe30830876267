#include "hub/ingest/prefetching_source.hpp"

#include <algorithm>

namespace vitals::hub::ingest {

using std::chrono::milliseconds;

namespace {
constexpr milliseconds kMinPoll{20};
}  // namespace

PrefetchingSource::PrefetchingSource(MessageSource& inner, const Clock& clock,
                                     PrefetchOptions options)
    : inner_(inner),
      clock_(clock),
      options_(options),
      // JetStream answers a fetch after a round trip to nats-server: a poll much shorter than
      // that comes back empty while a backlog is still being delivered (a batch of one).
      poll_(std::clamp(std::max(options.max_delay, kMinPoll), milliseconds{1},
                       options.fetch_timeout)),
      gathered_(options.max, options.max_delay),
      thread_([this] { run(); }) {}

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
    int room = 0;
    bool first = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || (!error_ && gathered_.room() > 0); });
      if (stopping_) {
        return;
      }
      // Nothing gathered: wait for one message, however long the inner fetch allows (a fetch
      // for more would hold a lone message until the batch filled or the fetch timed out).
      // Something gathered: take what else is there, waiting only briefly.
      first = gathered_.empty();
      room = first ? 1 : gathered_.room();
    }
    auto fetched = inner_.fetch(room, first ? options_.fetch_timeout : poll_);
    if (fetched.ok()) {
      if (fetched->empty()) {
        if (!first) {
          // Nothing more came within the poll: the open batch need not wait any longer.
          {
            std::lock_guard lock(mu_);
            gathered_.add(MessageList{}, clock_.steadyNow());
          }
          cv_.notify_all();
        }
        continue;
      }
      for (auto& m : fetched.value()) {
        m->predecode();
      }
    }
    {
      std::lock_guard lock(mu_);
      if (fetched.ok()) {
        gathered_.add(std::move(fetched).value(), clock_.steadyNow());
      } else {
        error_ = fetched.error();
      }
    }
    cv_.notify_all();
  }
}

Result<MessageList> PrefetchingSource::fetch(int, milliseconds timeout) {
  using Real = std::chrono::steady_clock;
  const auto deadline = Real::now() + timeout;
  std::unique_lock lock(mu_);
  for (;;) {
    if (!gathered_.empty() && (error_ || gathered_.due(clock_.steadyNow()))) {
      MessageList out = gathered_.take();
      lock.unlock();
      cv_.notify_all();
      return out;
    }
    if (error_) {
      Error e = std::move(*error_);
      error_.reset();
      lock.unlock();
      cv_.notify_all();
      return e;
    }
    const auto now = Real::now();
    if (now >= deadline) {
      return MessageList{};
    }
    auto wake = deadline;
    if (const auto due = gathered_.dueAt()) {
      wake = std::min(wake, now + std::max(*due - clock_.steadyNow(), SteadyTime::duration{0}));
    }
    cv_.wait_until(lock, wake);
  }
}

}  // namespace vitals::hub::ingest
