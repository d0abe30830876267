#pragma once
// One inbound event, start to end: validate the body, find the rule, build the parameters,
// authorise a controller_override, choose the agent, apply the (agent, action) cooldown, record
// the event with its audit row, run the action through the ActionRunner, record the outcome.
// The same path serves POST /api/v1/events and NATS vitals.events.<source>.
//
// Thread-safe: HTTP threads and the NATS worker call handle() concurrently.
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/error/result.hpp"
#include "common/metrics/metrics.hpp"
#include "common/time/clock.hpp"
#include "hub/events/action_runner.hpp"
#include "hub/events/event_log.hpp"
#include "hub/events/event_rules.hpp"

namespace vitals::hub::events {

struct InboundEvent {
  std::string event_type;
  std::string target;
  nlohmann::json payload = nlohmann::json::object();
  std::optional<std::string> controller_override;  // run on this agent instead
};

// Strict: a JSON object with event_type (string), target (string), optional payload (object)
// and controller_override (agent id); any other field is refused. Error code "event.invalid",
// the message names the field.
Result<InboundEvent> parseInboundEvent(std::string_view body);

struct EventCaller {
  std::string actor;   // audit actor: "key:3", "hmac", "nats:<source>"
  std::string role;    // "admin", "operator", "readonly"
  std::string source;  // stored with the event: "http:key:3", "http:hmac", "nats:<source>"
};

struct EventOutcome {
  int status = 200;  // HTTP-like: 200, 400, 403, 422, 503
  std::string code;  // error code when status != 200
  std::string message;
  std::optional<EventRecord> record;         // when accepted
  std::optional<ActionReply> reply;          // when the agent answered
  std::chrono::milliseconds retry_after{0};  // outcome "cooldown": when it may run again
};

struct ProcessorSettings {
  std::chrono::milliseconds default_cooldown{std::chrono::seconds{60}};
  std::chrono::milliseconds action_timeout{std::chrono::seconds{30}};
};

// target -> agent id (the agent that reports the service named by target). Error code
// "event.no_agent" with a reason when there is none or more than one.
using AgentResolver = std::function<Result<std::string>(const std::string& target)>;

class EventProcessor {
 public:
  EventProcessor(EventRules rules, AgentResolver resolve, ActionRunner& runner, EventLog& log,
                 const Clock& clock, metrics::Registry& metrics, ProcessorSettings settings);

  EventOutcome handle(const InboundEvent& event, const EventCaller& caller);
  // parseInboundEvent + handle.
  EventOutcome handleBody(std::string_view body, const EventCaller& caller);

  const EventRules& rules() const { return rules_; }

 private:
  EventOutcome refuse(int status, std::string code, std::string message);
  // Reserves a start of (agent, action) unless one happened within cooldown; returns the time
  // left when refused.
  std::optional<std::chrono::milliseconds> reserve(const std::string& agent,
                                                   const std::string& action,
                                                   std::chrono::milliseconds cooldown);

  EventRules rules_;
  AgentResolver resolve_;
  ActionRunner& runner_;
  EventLog& log_;
  const Clock& clock_;
  metrics::Registry& metrics_;
  ProcessorSettings settings_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, SteadyTime> last_start_;
};

// Serialises an outcome as the API answers it.
nlohmann::json toJson(const EventOutcome& outcome);
nlohmann::json toJson(const EventRecord& record);

}  // namespace vitals::hub::events
