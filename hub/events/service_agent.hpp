#pragma once
// The default way a rule finds its agent: the event's target names a service, and the agent
// that reports that service runs the action.
#include "hub/events/event_processor.hpp"
#include "hub/state/hub_state.hpp"

namespace vitals::hub::events {

// Error "event.no_agent" when the service is unknown or reported by more than one agent (then
// the rule must name its agent, or the caller send controller_override).
AgentResolver serviceAgentResolver(const state::HubState& state);

}  // namespace vitals::hub::events
