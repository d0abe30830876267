#include "hub/ingest/batch_gatherer.hpp"

#include <algorithm>
#include <iterator>

namespace vitals::hub::ingest {

BatchGatherer::BatchGatherer(int max, std::chrono::milliseconds max_delay)
    : max_(std::max(max, 1)), max_delay_(std::max(max_delay, std::chrono::milliseconds{0})) {}

void BatchGatherer::add(MessageList messages, SteadyTime now) {
  caught_up_ = messages.empty();
  if (messages.empty()) {
    return;
  }
  if (batch_.empty()) {
    first_ = now;
    batch_ = std::move(messages);
    return;
  }
  batch_.reserve(batch_.size() + messages.size());
  std::move(messages.begin(), messages.end(), std::back_inserter(batch_));
}

int BatchGatherer::room() const { return std::max(0, max_ - static_cast<int>(batch_.size())); }

std::optional<SteadyTime> BatchGatherer::dueAt() const {
  if (batch_.empty()) {
    return std::nullopt;
  }
  if (static_cast<int>(batch_.size()) >= max_) {
    return first_;
  }
  if (caught_up_) {
    return first_ + max_delay_;
  }
  return first_ + std::max(max_delay_, std::chrono::milliseconds{kMaxOpen});
}

bool BatchGatherer::due(SteadyTime now) const {
  const auto at = dueAt();
  return at && now >= *at;
}

MessageList BatchGatherer::take() {
  MessageList out = std::move(batch_);
  batch_ = MessageList{};
  return out;
}

}  // namespace vitals::hub::ingest
