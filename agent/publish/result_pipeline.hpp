#pragma once
// From check results to JetStream: assigns each result its per-boot seq (1, 2, 3, ... no gaps
// in assignment), groups results into ResultBatch messages of at most max_batch, waiting at
// most max_delay for a batch to fill, and writes every batch to the Spool before its first
// publish attempt (write-ahead: a SIGKILL loses at most the results not yet batched). Batches are
// published one at a time from the front of the spool, in order, with message id
// "<agent>.<boot>.<first seq>"; a batch leaves the spool only when JetStream has stored it. A
// failed publish is retried with jittered exponential backoff, with the same bytes and id, so
// JetStream's dedup window (and the hub's unique key) turn any double send into one message.
// After an outage (or at start with batches left by an earlier run) the backlog drains paced,
// drain_rate batches per second, and newer batches queue behind it. A full spool drops its
// oldest batches (counted, logged once per episode).
//
// Memory holds only the results being batched (< max_batch) and the batch being published.
//
// Threading: every method runs on the loop thread; the blocking publish runs on the WorkQueue.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/publish/bus_publisher.hpp"
#include "agent/runtime/work_queue.hpp"
#include "agent/spool/spool.hpp"
#include "common/metrics/metrics.hpp"
#include "common/model/check_result.hpp"
#include "common/random/random.hpp"
#include "common/time/clock.hpp"

namespace spdlog {
class logger;
}

namespace vitals::agent {

struct PipelineSettings {
  std::string agent_id;
  std::string boot_id;
  std::size_t max_batch = 100;
  std::chrono::milliseconds max_delay{200};
  std::uint32_t drain_rate = 50;              // batches per second while a backlog drains
  std::chrono::milliseconds retry_min{200};   // first retry delay after a failed publish
  std::chrono::milliseconds retry_max{5000};  // backoff cap
};

class ResultPipeline {
 public:
  // spool may already hold batches (from an earlier run): they are published first.
  ResultPipeline(PipelineSettings settings, Clock& clock, Timers& timers, Random& random,
                 BusPublisher& publisher, WorkQueue& queue, Spool& spool,
                 metrics::Registry& metrics, std::shared_ptr<spdlog::logger> logger);
  ~ResultPipeline();
  ResultPipeline(const ResultPipeline&) = delete;
  ResultPipeline& operator=(const ResultPipeline&) = delete;

  // Starts publishing what the spool holds from an earlier run (call once the loop runs).
  void start();
  // Takes a result from the scheduler: fills agent_id, boot_id and the next seq, and queues it.
  void add(CheckResult result);
  // The bus is back: retry a waiting batch now instead of at the end of its backoff.
  void retryNow();
  // Stops waiting for batches to fill (everything goes to the spool at once) and publishes; done
  // (unsent) is called once, when nothing is left (unsent = 0) or at deadline (unsent = results
  // still in the spool, which a FileSpool keeps for the next start).
  void drain(SteadyTime deadline, std::function<void(std::size_t unsent)> done);

  std::uint64_t lastSeq() const { return last_seq_; }
  // Results not yet stored by JetStream: being batched plus spooled.
  std::size_t buffered() const;
  std::uint64_t dropped() const { return dropped_total_; }

 private:
  struct Pending {
    CheckResult result;
    SteadyTime added;
  };

  void maybeBatch();
  void spoolBatch(std::size_t n);
  void pump();
  void onPublished(std::uint64_t id, std::uint32_t results, const std::string& msg_id,
                   const Result<PublishAck>& ack);
  void countDropped(std::uint64_t results, const std::string& why);
  void finishDrainIfDone();
  void updateGauges();

  PipelineSettings settings_;
  Clock& clock_;
  Timers& timers_;
  Random& random_;
  BusPublisher& publisher_;
  WorkQueue& queue_;
  Spool& spool_;
  std::shared_ptr<spdlog::logger> logger_;
  std::string subject_;

  std::deque<Pending> pending_;
  bool publishing_ = false;  // a publish of the spool's front is on the work queue
  bool backlog_ = false;     // draining after an outage or a restart: publishes are paced
  std::uint64_t last_seq_ = 0;
  std::uint32_t failures_in_row_ = 0;
  bool outage_ = false;
  std::uint64_t dropped_total_ = 0;
  std::uint64_t dropped_in_episode_ = 0;
  TimerId delay_timer_ = 0;
  TimerId retry_timer_ = 0;
  TimerId pace_timer_ = 0;
  TimerId drain_timer_ = 0;
  bool draining_ = false;
  std::function<void(std::size_t)> drain_done_;

  metrics::Counter& results_total_;
  metrics::Counter& published_total_;
  metrics::Counter& batches_total_;
  metrics::Counter& dropped_counter_;
  metrics::Counter& failures_total_;
  metrics::Counter& spool_errors_;
  metrics::Gauge& buffered_gauge_;
  metrics::Gauge& spool_bytes_;
  metrics::Gauge& spool_batches_;

  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vitals::agent
