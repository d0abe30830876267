#include "hub/events/service_agent.hpp"

namespace vitals::hub::events {

AgentResolver serviceAgentResolver(const state::HubState& state) {
  return [&state](const std::string& target) -> Result<std::string> {
    auto svc = state.service(target);
    if (!svc || svc->agent.empty()) {
      return Error{"event.no_agent",
                   "no agent reports a service named \"" + target +
                       "\"; name the agent in the rule or send controller_override",
                   target};
    }
    if (svc->agent.find(',') != std::string::npos) {
      return Error{"event.no_agent",
                   "service \"" + target + "\" is reported by several agents (" + svc->agent +
                       "); name the agent in the rule or send controller_override",
                   target};
    }
    return svc->agent;
  };
}

}  // namespace vitals::hub::events
