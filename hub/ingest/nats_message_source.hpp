#pragma once
#include <atomic>
// MessageSource on a JetStream durable pull consumer. Creates the stream (or updates it to the
// configured limits) and binds the consumer lazily, so it recovers when NATS comes back.
#include <spdlog/logger.h>

#include <memory>

#include "common/nats/nats_client.hpp"
#include "hub/ingest/message_source.hpp"

namespace vitals::hub::ingest {

class NatsMessageSource final : public MessageSource {
 public:
  // True once the stream exists and the durable consumer is bound (readiness).
  bool consuming() const { return consuming_.load(); }
  NatsMessageSource(nats::Connection& conn, nats::StreamConfig stream,
                    nats::ConsumerConfig consumer, std::shared_ptr<spdlog::logger> logger);
  Result<MessageList> fetch(int max, std::chrono::milliseconds timeout) override;
  // ensureStream + bind the durable; called by fetch() until it succeeds.
  Status setUp();

 private:
  nats::Connection& conn_;
  nats::StreamConfig stream_;
  nats::ConsumerConfig consumer_config_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<nats::PullConsumer> consumer_;
  std::atomic<bool> consuming_{false};
};

}  // namespace vitals::hub::ingest
