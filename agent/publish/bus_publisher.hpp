#pragma once
// Seam between the agent and the bus: a blocking JetStream publish with a dedup message id.
// Called only from the publish worker thread (never the loop thread).
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error/result.hpp"

namespace vitals::agent {

struct PublishAck {
  std::uint64_t stream_seq = 0;
  bool duplicate = false;  // the stream already had this message id
};

class BusPublisher {
 public:
  virtual ~BusPublisher() = default;
  // Publishes data on subject with msg_id and waits for the stream's ack. An Error means "not
  // stored (as far as we know)": the caller keeps the message and retries with the same id.
  virtual Result<PublishAck> publish(const std::string& subject, std::string_view data,
                                     const std::string& msg_id) = 0;
};

}  // namespace vitals::agent
