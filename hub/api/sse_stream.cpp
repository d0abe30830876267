#include "hub/api/sse_stream.hpp"

namespace vitals::hub::api {

SseStream::SseStream(std::unique_ptr<stream::Subscription> subscription, const Clock& clock,
                     std::chrono::milliseconds keepalive, std::chrono::milliseconds poll)
    : subscription_(std::move(subscription)),
      clock_(clock),
      keepalive_(keepalive),
      poll_(poll),
      last_id_(subscription_->startId()) {}

bool SseStream::next(std::string& out) {
  const auto now = clock_.steadyNow();
  if (!started_) {
    started_ = true;
    last_write_ = now;
    out += "retry: 3000\n: vitals stream from " + subscription_->startId() + "\n\n";
    return true;
  }
  auto batch = subscription_->take();
  if (!batch.reset && batch.events.empty() && !batch.dropped && !batch.closed) {
    subscription_->wait(poll_);
    batch = subscription_->take();
  }
  if (batch.reset) {
    const nlohmann::json data{{"reason", *batch.reset}};
    out += "id: " + subscription_->startId() + "\nevent: reset\ndata: " + data.dump() + "\n\n";
  }
  for (const auto& e : batch.events) {
    out += e->sse;
    last_id_ = e->id;
  }
  if (batch.dropped) {
    const nlohmann::json data{{"reason",
                               "this client fell behind and its queue filled up; reconnect with "
                               "Last-Event-ID to resume"},
                              {"last_id", last_id_}};
    out += "event: dropped\ndata: " + data.dump() + "\n\n";
    return false;
  }
  if (batch.closed) {
    out += "event: closed\ndata: {\"reason\":\"the hub is shutting down\"}\n\n";
    return false;
  }
  if (out.empty() && clock_.steadyNow() - last_write_ >= keepalive_) {
    out += ": keepalive\n\n";
  }
  if (!out.empty()) {
    last_write_ = clock_.steadyNow();
  }
  return true;
}

}  // namespace vitals::hub::api
