#include "hub/stream/status_events.hpp"

namespace vitals::hub::stream {

nlohmann::json statusEventData(const policy::Transition& t) {
  return {{"from", std::string(toString(t.from))},
          {"to", std::string(toString(t.to))},
          {"changed_at", formatRfc3339(t.at)},
          {"reason", t.reason},
          {"agent", t.agent},
          {"check", t.check},
          {"cause", std::string(policy::toString(t.cause))},
          {"first", t.first},
          {"flapping", t.flapping}};
}

void StatusEvents::onTransitions(const std::vector<policy::Transition>& transitions) {
  for (const auto& t : transitions) {
    if (t.service == policy::kAgentsGroupService) {
      // The grouped "N agents unreachable" change: agents going offline or coming back.
      publisher_.publish("agent", "", statusEventData(t));
    } else {
      publisher_.publish("status", t.service, statusEventData(t));
    }
  }
}

}  // namespace vitals::hub::stream
