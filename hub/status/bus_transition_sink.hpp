#pragma once
// Publishes every transition as a StatusChange on hub.<hub_id>.health.<service> (core NATS,
// fire and forget: the durable record is status_changes in PostgreSQL).
#include <functional>
#include <string>
#include <string_view>

#include "common/error/result.hpp"
#include "common/metrics/metrics.hpp"
#include "hub/status/transition_sink.hpp"

namespace vitals::hub::status {

// (subject, payload) -> published? Bound to nats::Connection::publish in main.cpp.
using PublishFn = std::function<Status(const std::string&, std::string_view)>;

class BusTransitionSink final : public TransitionSink {
 public:
  // Counts vitals_status_publish_errors_total.
  BusTransitionSink(std::string hub_id, PublishFn publish, metrics::Registry& registry);
  void onTransitions(const std::vector<policy::Transition>& transitions) override;

 private:
  std::string hub_id_;
  PublishFn publish_;
  metrics::Counter& errors_;
};

}  // namespace vitals::hub::status
