#include "hub/ingest/nats_message_source.hpp"

namespace vitals::hub::ingest {
namespace {

class NatsInbound final : public InboundMessage {
 public:
  explicit NatsInbound(nats::JsMessage msg) : msg_(std::move(msg)) {}
  std::string_view subject() const override { return msg_.subject(); }
  std::string_view data() const override { return msg_.data(); }
  std::uint64_t numDelivered() const override { return msg_.numDelivered(); }
  Status ack() override { return msg_.ack(); }
  Status nak() override { return msg_.nak(); }
  Status term() override { return msg_.term(); }

 private:
  nats::JsMessage msg_;
};

}  // namespace

NatsMessageSource::NatsMessageSource(nats::Connection& conn, nats::StreamConfig stream,
                                     nats::ConsumerConfig consumer,
                                     std::shared_ptr<spdlog::logger> logger)
    : conn_(conn),
      stream_(std::move(stream)),
      consumer_config_(std::move(consumer)),
      logger_(std::move(logger)) {}

Status NatsMessageSource::setUp() {
  if (consumer_) {
    return okStatus();
  }
  if (!conn_.connected()) {
    return Error{"nats.unavailable", "not connected to NATS", {}};
  }
  if (auto s = conn_.ensureStream(stream_); !s.ok()) {
    return s;
  }
  auto consumer = conn_.pullConsumer(consumer_config_);
  if (!consumer.ok()) {
    return consumer.error();
  }
  consumer_ = std::move(consumer).value();
  consuming_ = true;
  logger_->info("consuming stream {} as durable {}", stream_.name, consumer_config_.durable);
  return okStatus();
}

Result<MessageList> NatsMessageSource::fetch(int max, std::chrono::milliseconds timeout) {
  if (auto s = setUp(); !s.ok()) {
    return s.error();
  }
  auto fetched = consumer_->fetch(max, timeout);
  if (!fetched.ok()) {
    // Connected but failing: the stream or consumer may have been deleted under us; bind
    // again next time. While disconnected, NATS.c keeps the subscription for the reconnect.
    if (conn_.connected()) {
      consumer_.reset();
      consuming_ = false;
    }
    return fetched.error();
  }
  MessageList out;
  out.reserve(fetched->size());
  for (auto& m : fetched.value()) {
    out.push_back(std::make_unique<NatsInbound>(std::move(m)));
  }
  return out;
}

}  // namespace vitals::hub::ingest
