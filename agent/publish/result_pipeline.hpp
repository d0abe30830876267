#pragma once
// From check results to JetStream: assigns each result its per-boot seq (1, 2, 3, ... no gaps
// in assignment), groups results into ResultBatch messages of at most max_batch, waiting at
// most max_delay for a batch to fill, and publishes batches one at a time, in order, with
// message id "<agent>.<boot>.<first seq>". A failed publish keeps the batch exactly as it was
// (same results, same bytes, same id) and retries it with jittered exponential backoff until it
// is stored, so JetStream's dedup window turns any double send into one message. While the bus
// is away at most max_buffered results are held; beyond that the oldest unsent ones are dropped
// and counted (a disk spool comes later).
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
  std::size_t max_buffered = 100000;
  std::chrono::milliseconds retry_min{200};   // first retry delay after a failed publish
  std::chrono::milliseconds retry_max{5000};  // backoff cap
};

class ResultPipeline {
 public:
  ResultPipeline(PipelineSettings settings, Clock& clock, Timers& timers, Random& random,
                 BusPublisher& publisher, WorkQueue& queue, metrics::Registry& metrics,
                 std::shared_ptr<spdlog::logger> logger);
  ~ResultPipeline();
  ResultPipeline(const ResultPipeline&) = delete;
  ResultPipeline& operator=(const ResultPipeline&) = delete;

  // Takes a result from the scheduler: fills agent_id, boot_id and the next seq, and queues it.
  void add(CheckResult result);
  // The bus is back: retry a waiting batch now instead of at the end of its backoff.
  void retryNow();
  // Stops waiting for batches to fill and sends everything; done(unsent) is called once, when
  // nothing is left (unsent = 0) or at deadline (unsent = results still held).
  void drain(SteadyTime deadline, std::function<void(std::size_t unsent)> done);

  std::uint64_t lastSeq() const { return last_seq_; }
  // Results held: waiting to be batched plus the batch being published.
  std::size_t buffered() const;
  std::uint64_t dropped() const { return dropped_total_; }

 private:
  struct Pending {
    CheckResult result;
    SteadyTime added;
  };
  struct Batch {
    std::shared_ptr<const std::string> payload;
    std::string msg_id;
    std::size_t count = 0;
    std::uint64_t first_seq = 0;
    std::uint64_t last_seq = 0;
  };

  void maybeSend();
  void formBatch();
  void publishBatch();
  void onPublished(const Result<PublishAck>& ack);
  void finishDrainIfDone();
  void updateGauge();

  PipelineSettings settings_;
  Clock& clock_;
  Timers& timers_;
  Random& random_;
  BusPublisher& publisher_;
  WorkQueue& queue_;
  std::shared_ptr<spdlog::logger> logger_;
  std::string subject_;

  std::deque<Pending> pending_;
  std::optional<Batch> batch_;  // formed and not yet stored
  bool publishing_ = false;     // a publish of batch_ is on the work queue
  std::uint64_t last_seq_ = 0;
  std::uint32_t failures_in_row_ = 0;
  bool outage_ = false;
  std::uint64_t dropped_total_ = 0;
  std::uint64_t dropped_in_outage_ = 0;
  TimerId delay_timer_ = 0;
  TimerId retry_timer_ = 0;
  TimerId drain_timer_ = 0;
  bool draining_ = false;
  std::function<void(std::size_t)> drain_done_;

  metrics::Counter& results_total_;
  metrics::Counter& published_total_;
  metrics::Counter& batches_total_;
  metrics::Counter& dropped_counter_;
  metrics::Counter& failures_total_;
  metrics::Gauge& buffered_gauge_;

  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vitals::agent
