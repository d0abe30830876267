#pragma once
// The inbound-event rules file (`events.rules_file`, e.g. actions.yaml): which event type and
// target run which named action on which agent, with which parameters taken from the payload.
// Pure: loading (strict YAML, file:line problems), matching and parameter validation.
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "common/config/yaml_reader.hpp"
#include "common/error/result.hpp"

namespace vitals::hub::events {

enum class ParamType { String, Integer, Boolean };

struct ParamRule {
  std::string name;  // the action parameter (the agent's {placeholder})
  // Where the value comes from: a payload key (default: the name), or "$target" for the event's
  // target.
  std::string from;
  ParamType type = ParamType::String;
  bool required = false;
  std::string pattern_text;             // whole-value match of the text form; empty = any
  std::shared_ptr<const std::regex> pattern;
  std::vector<std::string> allowed;     // enum; empty = any
  std::optional<std::string> default_value;
};

struct EventRule {
  std::string name;
  std::string event_type;
  std::string target = "*";  // glob: * any run, ? one character
  std::string action;        // an action name in the agent's own config
  std::string agent;         // fixed agent; empty = the agent that reports the target service
  bool allow_operator_override = false;  // operators may send controller_override too
  std::optional<std::chrono::milliseconds> cooldown;  // per (agent, action); unset = default
  std::vector<ParamRule> params;
};

struct EventRules {
  std::vector<EventRule> rules;
  bool knowsType(const std::string& event_type) const;
  // The first rule (file order) with this type whose target glob matches; nullptr if none.
  const EventRule* match(const std::string& event_type, const std::string& target) const;
};

// "*" and "?" globbing over the whole text.
bool globMatch(std::string_view pattern, std::string_view text);

// Reads a parsed rules document (top level `rules:`). Problems go to the reader's list.
EventRules readEventRules(config::YamlReader& root);
// Loads `text` read from `file`; nullopt when there were problems.
std::optional<EventRules> parseEventRules(const std::string& text, const std::string& file,
                                          config::Problems& problems);

// The action parameters for an event: every rule parameter from the payload (or target, or its
// default), type-checked and matched. Error code "event.param", message naming the parameter.
Result<std::map<std::string, std::string>> buildParams(const EventRule& rule,
                                                       const std::string& target,
                                                       const nlohmann::json& payload);

}  // namespace vitals::hub::events
