#pragma once
// One subscription written as Server-Sent Events (text/event-stream):
//   retry: 3000                         (first, with a comment naming the start id)
//   id: <epoch>-<seq>\nevent: <kind>\ndata: <json>\n\n     per event
//   event: reset   (id = the newest id; data {"reason"}): reload the state, then live events
//   event: dropped (data {"reason","last_id"}): the client fell behind; the stream ends
//   event: closed  : the hub is shutting down; the stream ends
//   ": keepalive" comments when idle, so dead connections are noticed.
#include <chrono>
#include <memory>
#include <string>

#include "common/time/clock.hpp"
#include "hub/api/body_stream.hpp"
#include "hub/stream/stream_hub.hpp"

namespace vitals::hub::api {

class SseStream final : public BodyStream {
 public:
  SseStream(std::unique_ptr<stream::Subscription> subscription, const Clock& clock,
            std::chrono::milliseconds keepalive = std::chrono::seconds(15),
            std::chrono::milliseconds poll = std::chrono::seconds(1));
  bool next(std::string& out) override;

 private:
  std::unique_ptr<stream::Subscription> subscription_;
  const Clock& clock_;
  const std::chrono::milliseconds keepalive_;
  const std::chrono::milliseconds poll_;
  bool started_ = false;
  SteadyTime last_write_{};
  std::string last_id_;
};

}  // namespace vitals::hub::api
