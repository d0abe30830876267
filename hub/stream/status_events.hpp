#pragma once
// Puts the status tracker's committed transitions on the live stream as "status" events
// ({"from","to","changed_at","reason","agent","check","cause","first","flapping"}); the grouped
// "agents unreachable" change (service "_agents") as an "agent" event.
#include "hub/status/transition_sink.hpp"
#include "hub/stream/event_publisher.hpp"

namespace vitals::hub::stream {

class StatusEvents final : public status::TransitionSink {
 public:
  explicit StatusEvents(EventPublisher& publisher) : publisher_(publisher) {}
  // Tracker thread, lock held: publish() only queues.
  void onTransitions(const std::vector<policy::Transition>& transitions) override;

 private:
  EventPublisher& publisher_;
};

// The JSON payload of a status event.
nlohmann::json statusEventData(const policy::Transition& t);

}  // namespace vitals::hub::stream
