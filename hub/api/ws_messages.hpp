#pragma once
// One subscription of the live stream as WebSocket text messages, one JSON object each:
//   {"kind":"hello","id":<start id>}                       first
//   {"id","kind","service","at","data"}                    per event, as the SSE data line
//   {"kind":"reset","id":<newest id>,"data":{"reason"}}    reload your state, then live events
//   {"kind":"dropped","data":{"reason","last_id"}}         fell behind; the last message
//   {"kind":"closed","data":{"reason"}}                    the hub is shutting down; the last
// The transport (ws_server.cpp) sends pings when idle, so no keepalive messages are needed.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "hub/api/body_stream.hpp"
#include "hub/stream/stream_hub.hpp"

namespace vitals::hub::api {

class SubscriptionMessages final : public MessageStream {
 public:
  explicit SubscriptionMessages(std::unique_ptr<stream::Subscription> subscription,
                                std::chrono::milliseconds poll = std::chrono::seconds(1));
  bool next(std::vector<std::string>& out) override;

 private:
  std::unique_ptr<stream::Subscription> subscription_;
  const std::chrono::milliseconds poll_;
  bool started_ = false;
  std::string last_id_;
};

}  // namespace vitals::hub::api
