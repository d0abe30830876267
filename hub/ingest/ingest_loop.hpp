#pragma once
// The ingest thread: fetch -> BatchProcessor -> back off on bus or database trouble, with
// partition upkeep between fetches. One thread, its own EventStore connection.
#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "common/metrics/metrics.hpp"
#include "common/random/random.hpp"
#include "common/time/clock.hpp"
#include "hub/ingest/batch_processor.hpp"
#include "hub/ingest/message_source.hpp"
#include "hub/store/event_store.hpp"

namespace vitals::hub::ingest {

// Backoff (common/time/backoff.hpp) after `failures` earlier failures (0 for the first retry):
// 250ms * 2^failures, capped at 15s, then a uniform pick in [half, full) so hubs that failed
// together do not retry together.
std::chrono::milliseconds backoffDelay(int failures, Random& random);

struct IngestLoopOptions {
  int batch_size = 500;
  std::chrono::milliseconds fetch_timeout{500};
  std::chrono::milliseconds maintenance_interval{std::chrono::hours{1}};
};

class IngestLoop {
 public:
  // Counts vitals_ingest_fetch_errors_total and vitals_ingest_maintenance_errors_total.
  IngestLoop(MessageSource& source, BatchProcessor& processor, store::EventStore& store,
             const Clock& clock, Random& random, metrics::Registry& registry,
             IngestLoopOptions options, std::shared_ptr<spdlog::logger> logger);
  ~IngestLoop();
  IngestLoop(const IngestLoop&) = delete;
  IngestLoop& operator=(const IngestLoop&) = delete;

  // With replicas: whether this one holds the partition-maintenance job (unset: always).
  // Before start().
  void setMaintenanceGate(std::function<bool()> active) { maintenance_active_ = std::move(active); }

  void start();
  // Lets the current fetch and transaction finish, then joins the thread.
  void stop();

  // One step of the loop; returns how long to wait before the next (0 = go on at once).
  // Public so tests can drive the loop without a thread.
  std::chrono::milliseconds runOnce();
  bool databaseHealthy() const { return !db_broken_.load(); }

 private:
  void run();

  MessageSource& source_;
  BatchProcessor& processor_;
  store::EventStore& store_;
  const Clock& clock_;
  Random& random_;
  IngestLoopOptions options_;
  std::function<bool()> maintenance_active_;
  std::shared_ptr<spdlog::logger> logger_;
  metrics::Counter& fetch_errors_;
  metrics::Counter& maintenance_errors_;

  int bus_failures_ = 0;
  int db_failures_ = 0;
  std::atomic<bool> db_broken_{false};
  std::optional<SteadyTime> next_maintenance_;

  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace vitals::hub::ingest
