#pragma once
// Records what would have gone to JetStream; can be told to fail.
#include <string>
#include <vector>

#include "agent/publish/bus_publisher.hpp"

namespace vitals::agent::test {

class FakeBusPublisher final : public BusPublisher {
 public:
  struct Message {
    std::string subject;
    std::string data;
    std::string msg_id;
  };

  Result<PublishAck> publish(const std::string& subject, std::string_view data,
                             const std::string& msg_id) override {
    attempts.push_back(Message{subject, std::string(data), msg_id});
    if (fail_next > 0 || down) {
      if (fail_next > 0) {
        --fail_next;
      }
      return Error{"nats.unavailable", "fake bus is down", {}};
    }
    stored.push_back(Message{subject, std::string(data), msg_id});
    return PublishAck{stored.size(), false};
  }

  // Messages stored on a subject.
  std::vector<Message> on(const std::string& subject) const {
    std::vector<Message> out;
    for (const auto& m : stored) {
      if (m.subject == subject) {
        out.push_back(m);
      }
    }
    return out;
  }

  std::vector<Message> attempts;  // every call, stored or not
  std::vector<Message> stored;    // calls that succeeded
  int fail_next = 0;              // fail this many calls, then succeed
  bool down = false;              // fail every call while true
};

}  // namespace vitals::agent::test
