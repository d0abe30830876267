#pragma once
// Where ingest reads from: a JetStream durable pull consumer in production
// (NatsMessageSource), a scripted fake in tests.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "common/error/result.hpp"
#include "hub/ingest/decoded_message.hpp"

namespace vitals::hub::ingest {

// One delivered message. Exactly one of ack/nak/term should be called.
class InboundMessage {
 public:
  virtual ~InboundMessage() = default;
  virtual std::string_view subject() const = 0;
  virtual std::string_view data() const = 0;
  virtual std::uint64_t numDelivered() const = 0;
  virtual Status ack() = 0;   // stored: never deliver again
  virtual Status nak() = 0;   // not stored: deliver again
  virtual Status term() = 0;  // never storable (malformed, forged): do not deliver again

  // Decodes the payload now (a prefetching source calls this on its own thread, ahead of the
  // commit of the previous batch).
  void predecode() { decoded_ = decodeMessage(subject(), data()); }
  // The decoded payload (decoded now unless predecode() ran), handed over once.
  DecodedMessage takeDecoded() {
    if (!decoded_) {
      predecode();
    }
    DecodedMessage out = std::move(*decoded_);
    decoded_.reset();
    return out;
  }

 private:
  std::optional<DecodedMessage> decoded_;
};

using MessageList = std::vector<std::unique_ptr<InboundMessage>>;

// Where committed messages go to be acked. The ingest thread hands them over (with their
// ownership) only after their commit; an implementation may ack them on another thread so the
// next commit does not wait for the acks.
class AckSink {
 public:
  virtual ~AckSink() = default;
  virtual void ackCommitted(MessageList committed) = 0;
};

class MessageSource {
 public:
  virtual ~MessageSource() = default;
  // Up to `max` messages within `timeout`; empty when nothing is pending. Errors when the bus
  // is unreachable (the caller backs off).
  [[nodiscard]] virtual Result<MessageList> fetch(int max, std::chrono::milliseconds timeout) = 0;
};

}  // namespace vitals::hub::ingest
