#include "hub/status/bus_transition_sink.hpp"

#include "common/nats/subjects.hpp"
#include "hub/status/status_change_codec.hpp"

namespace vitals::hub::status {

BusTransitionSink::BusTransitionSink(std::string hub_id, PublishFn publish,
                                     metrics::Registry& registry)
    : hub_id_(std::move(hub_id)),
      publish_(std::move(publish)),
      errors_(registry.counter("vitals_status_publish_errors_total",
                               "StatusChange messages that could not be published")) {}

void BusTransitionSink::onTransitions(const std::vector<policy::Transition>& transitions) {
  for (const auto& t : transitions) {
    if (!publish_(subjects::hubServiceHealth(hub_id_, t.service), encodeStatusChange(hub_id_, t))
             .ok()) {
      errors_.inc();
    }
  }
}

}  // namespace vitals::hub::status
