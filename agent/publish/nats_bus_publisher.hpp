#pragma once
#include <chrono>

#include "agent/publish/bus_publisher.hpp"
#include "common/nats/nats_client.hpp"

namespace vitals::agent {

// BusPublisher on a nats::Connection (JetStream publish with message id and a timeout).
class NatsBusPublisher final : public BusPublisher {
 public:
  NatsBusPublisher(nats::Connection& connection, std::chrono::milliseconds timeout)
      : connection_(connection), timeout_(timeout) {}
  Result<PublishAck> publish(const std::string& subject, std::string_view data,
                             const std::string& msg_id) override {
    auto ack = connection_.jsPublish(subject, data, msg_id, timeout_);
    if (!ack) {
      return ack.error();
    }
    return PublishAck{ack->stream_seq, ack->duplicate};
  }

 private:
  nats::Connection& connection_;
  std::chrono::milliseconds timeout_;
};

}  // namespace vitals::agent
