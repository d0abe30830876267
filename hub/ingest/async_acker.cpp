#include "hub/ingest/async_acker.hpp"

namespace vitals::hub::ingest {

AsyncAcker::AsyncAcker(metrics::Registry& registry, std::shared_ptr<spdlog::logger> logger)
    : errors_(registry.counter("vitals_ingest_settle_errors_total",
                               "ack/nak/term calls that failed (JetStream redelivers)")),
      logger_(std::move(logger)),
      thread_([this] { run(); }) {}

AsyncAcker::~AsyncAcker() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();  // the queue is drained first
}

void AsyncAcker::ackCommitted(MessageList committed) {
  if (committed.empty()) {
    return;
  }
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(committed));
  }
  cv_.notify_all();
}

void AsyncAcker::flush() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void AsyncAcker::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {
      return;  // stopping, and everything is acked
    }
    MessageList batch = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    for (auto& m : batch) {
      if (auto s = m->ack(); !s.ok()) {
        errors_.inc();
        logger_->debug("ack of a message on {} failed: {}", m->subject(), s.error().describe());
      }
    }
    batch.clear();
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace vitals::hub::ingest
