#include "hub/api/ws_messages.hpp"

#include <nlohmann/json.hpp>

namespace vitals::hub::api {

SubscriptionMessages::SubscriptionMessages(std::unique_ptr<stream::Subscription> subscription,
                                           std::chrono::milliseconds poll)
    : subscription_(std::move(subscription)), poll_(poll), last_id_(subscription_->startId()) {}

bool SubscriptionMessages::next(std::vector<std::string>& out) {
  using nlohmann::json;
  if (!started_) {
    started_ = true;
    out.push_back(json{{"kind", "hello"}, {"id", subscription_->startId()}}.dump());
    return true;
  }
  auto batch = subscription_->take();
  if (!batch.reset && batch.events.empty() && !batch.dropped && !batch.closed) {
    subscription_->wait(poll_);
    batch = subscription_->take();
  }
  if (batch.reset) {
    out.push_back(json{
        {"kind", "reset"}, {"id", subscription_->startId()}, {"data", {{"reason", *batch.reset}}}}
                      .dump());
  }
  for (const auto& e : batch.events) {
    out.push_back(e->json);
    last_id_ = e->id;
  }
  if (batch.dropped) {
    out.push_back(json{{"kind", "dropped"},
                       {"data",
                        {{"reason",
                          "this client fell behind and its queue filled up; reconnect with "
                          "last_event_id to resume"},
                         {"last_id", last_id_}}}}
                      .dump());
    return false;
  }
  if (batch.closed) {
    out.push_back(
        json{{"kind", "closed"}, {"data", {{"reason", "the hub is shutting down"}}}}.dump());
    return false;
  }
  return true;
}

}  // namespace vitals::hub::api
