#pragma once
// Delivers from the outbox (reliability rules 5 and 6). One worker thread per channel, each
// with its own OutboxStore (own database connection) and Notifier, so a slow or dead channel
// only ever delays itself. A worker claims one due row at a time (committed before sending),
// sends with the per-attempt timeout, then records the attempt and the row's new state.
// At-least-once: a hub killed mid-send leaves the row "sending" until its lease runs out; then
// any hub re-claims and re-sends it once, with the same Idempotency-Key.
#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics/metrics.hpp"
#include "common/random/random.hpp"
#include "common/time/clock.hpp"
#include "hub/notify/notifier.hpp"
#include "hub/notify/notify_settings.hpp"
#include "hub/notify/outbox.hpp"

namespace vitals::hub::notify {

// What happens to a row after an attempt (pure): delivered; failed when permanent or out of
// attempts; otherwise retried after retryDelay().
AttemptRecord decideAttempt(const DeliveryOutcome& outcome, int attempts, const RetryPolicy& retry,
                            std::chrono::system_clock::time_point now, Random& random);

// How long a claim protects a row from other senders: longer than any attempt can take.
std::chrono::milliseconds claimLease(std::chrono::milliseconds timeout);

class Sender {
 public:
  using StoreFactory = std::function<std::unique_ptr<OutboxStore>()>;
  Sender(StoreFactory stores, const Clock& clock, Random& random, NotifySettings settings,
         metrics::Registry& registry, std::shared_ptr<spdlog::logger> logger);
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // Before start(): the notifier for a channel (owned by the sender).
  void addChannel(const std::string& name, std::unique_ptr<Notifier> notifier);
  // One thread per channel.
  void start();
  // Finishes the attempts in progress, then joins. Claimed rows not yet sent are re-claimed
  // after their lease.
  void stop();
  // Makes idle workers look for work now (after an enqueue in this process).
  void wake();

  // One claim-send-record pass for one channel on the calling thread (tests, and the worker
  // loop). Returns the number of rows handled.
  Result<int> runOnce(const std::string& channel);

 private:
  struct Worker {
    std::string name;
    std::unique_ptr<Notifier> notifier;
    std::unique_ptr<OutboxStore> store;
    std::thread thread;
    metrics::Counter* delivered = nullptr;
    metrics::Counter* retried = nullptr;
    metrics::Counter* failed = nullptr;
    metrics::Counter* store_errors = nullptr;
  };
  void loop(Worker& w);
  Result<int> pass(Worker& w);

  StoreFactory stores_;
  const Clock& clock_;
  Random& random_;
  std::mutex random_mu_;
  NotifySettings settings_;
  metrics::Registry& registry_;
  std::shared_ptr<spdlog::logger> logger_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t wake_seq_ = 0;
  bool stopping_ = false;
  bool started_ = false;
};

}  // namespace vitals::hub::notify
