#include "hub/ingest/ingest_loop.hpp"

#include <algorithm>

#include "common/time/backoff.hpp"

namespace vitals::hub::ingest {

using std::chrono::milliseconds;

milliseconds backoffDelay(int failures, Random& random) {
  static constexpr BackoffPolicy kPolicy =
      withHalfJitter(BackoffPolicy{.initial = milliseconds{250}, .max = milliseconds{15000}});
  return Backoff{kPolicy}.delay(static_cast<std::uint32_t>(std::max(failures, 0)) + 1, random);
}

IngestLoop::IngestLoop(MessageSource& source, BatchProcessor& processor, store::EventStore& store,
                       const Clock& clock, Random& random, metrics::Registry& registry,
                       IngestLoopOptions options, std::shared_ptr<spdlog::logger> logger)
    : source_(source),
      processor_(processor),
      store_(store),
      clock_(clock),
      random_(random),
      options_(options),
      logger_(std::move(logger)),
      fetch_errors_(registry.counter("vitals_ingest_fetch_errors_total",
                                     "Failed fetches from JetStream (bus unreachable)")),
      maintenance_errors_(registry.counter("vitals_ingest_maintenance_errors_total",
                                           "Failed partition maintenance runs")) {}

IngestLoop::~IngestLoop() { stop(); }

void IngestLoop::start() {
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void IngestLoop::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void IngestLoop::run() {
  while (!stopping_) {
    milliseconds wait{0};
    try {
      wait = runOnce();
    } catch (const std::exception& e) {
      // Nothing should throw here; if something does, keep the thread alive and say so.
      logger_->error("ingest step failed: {}", e.what());
      wait = backoffDelay(db_failures_++, random_);
    }
    if (wait.count() > 0) {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, wait, [this] { return stopping_.load(); });
    }
  }
}

milliseconds IngestLoop::runOnce() {
  if (db_broken_) {
    if (auto s = store_.reconnect(); !s.ok()) {
      logger_->warn("database still unavailable, not fetching: {}", s.error().describe());
      return backoffDelay(db_failures_++, random_);
    }
    logger_->info("database connection restored");
    db_broken_ = false;
  }
  const SteadyTime now = clock_.steadyNow();
  const bool maintainer = !maintenance_active_ || maintenance_active_();
  if (!maintainer) {
    next_maintenance_.reset();  // a new holder maintains at once
  } else if (!next_maintenance_ || now >= *next_maintenance_) {
    auto s = store_.maintain(clock_.now());
    // A failed run is retried in a minute rather than in an hour.
    next_maintenance_ =
        now + (s.ok() ? options_.maintenance_interval : milliseconds{std::chrono::minutes{1}});
    if (!s.ok()) {
      maintenance_errors_.inc();
      logger_->warn("partition maintenance failed: {}", s.error().describe());
      if (s.error().code == "db.unavailable") {
        db_broken_ = true;
        return backoffDelay(db_failures_++, random_);
      }
    }
  }
  auto fetched = source_.fetch(options_.batch_size, options_.fetch_timeout);
  if (!fetched.ok()) {
    fetch_errors_.inc();
    if (bus_failures_ == 0 || bus_failures_ % 20 == 0) {
      logger_->warn("fetch from JetStream failed: {}", fetched.error().describe());
    }
    return backoffDelay(bus_failures_++, random_);
  }
  if (bus_failures_ > 0) {
    logger_->info("fetching from JetStream again");
    bus_failures_ = 0;
  }
  if (fetched->empty()) {
    return milliseconds{0};
  }
  if (auto s = processor_.process(fetched.value()); !s.ok()) {
    db_broken_ = true;
    return backoffDelay(db_failures_++, random_);
  }
  db_failures_ = 0;
  return milliseconds{0};
}

}  // namespace vitals::hub::ingest
