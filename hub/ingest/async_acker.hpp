#pragma once
// Acks committed messages on its own thread, in the order they were committed, so the ingest
// thread starts the next transaction instead of sending hundreds of acks first. Acks are still
// sent only after the commit (the ingest thread hands messages over once committed). The
// destructor sends whatever is still queued; declare it after the bus connection it acks on.
#include <spdlog/logger.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "common/metrics/metrics.hpp"
#include "hub/ingest/message_source.hpp"

namespace vitals::hub::ingest {

class AsyncAcker final : public AckSink {
 public:
  // Failed acks count in vitals_ingest_settle_errors_total (JetStream redelivers those
  // messages after ack_wait; the event key drops the replayed rows).
  AsyncAcker(metrics::Registry& registry, std::shared_ptr<spdlog::logger> logger);
  ~AsyncAcker() override;
  AsyncAcker(const AsyncAcker&) = delete;
  AsyncAcker& operator=(const AsyncAcker&) = delete;

  void ackCommitted(MessageList committed) override;
  // Waits until everything handed over so far is acked (tests, shutdown).
  void flush();

 private:
  void run();

  metrics::Counter& errors_;
  std::shared_ptr<spdlog::logger> logger_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<MessageList> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace vitals::hub::ingest
