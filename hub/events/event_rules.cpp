#include "hub/events/event_rules.hpp"

#include <set>

#include "common/nats/subjects.hpp"
#include "common/text/glob.hpp"

namespace vitals::hub::events {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

constexpr std::size_t kMaxValue = 1024;  // the agent refuses longer parameter values too

Error paramError(const std::string& name, const std::string& message) {
  return Error{"event.param", "payload: parameter " + name + ": " + message, name};
}

void readParam(config::YamlReader& p, const std::string& name, ParamRule& out) {
  out.name = name;
  out.from = p.str("from", name);
  if (out.from.empty()) {
    p.problem("from", "must not be empty");
  }
  const std::string type = p.str("type", "string");
  if (type == "string") {
    out.type = ParamType::String;
  } else if (type == "integer") {
    out.type = ParamType::Integer;
  } else if (type == "boolean") {
    out.type = ParamType::Boolean;
  } else {
    p.problem("type", "must be string, integer or boolean, got \"" + type + "\"");
  }
  out.required = p.boolean("required", false);
  if (auto pattern = p.str("pattern")) {
    out.pattern_text = *pattern;
    try {
      out.pattern = std::make_shared<const std::regex>(*pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      p.problem("pattern", std::string("is not a valid regular expression: ") + e.what());
    }
  }
  if (auto allowed = p.strings("enum")) {
    out.allowed = *allowed;
    if (allowed->empty()) {
      p.problem("enum", "must not be empty");
    }
  }
  if (p.has("default")) {
    out.default_value = p.str("default");
    if (out.required) {
      p.problem("default", "a required parameter has no use for a default");
    }
  }
  p.finish();
}

}  // namespace

bool globMatch(std::string_view pattern, std::string_view text) {
  return text::globMatch(pattern, text);
}

bool EventRules::knowsType(const std::string& event_type) const {
  for (const auto& r : rules) {
    if (r.event_type == event_type) {
      return true;
    }
  }
  return false;
}

const EventRule* EventRules::match(const std::string& event_type, const std::string& target) const {
  for (const auto& r : rules) {
    if (r.event_type == event_type && globMatch(r.target, target)) {
      return &r;
    }
  }
  return nullptr;
}

EventRules readEventRules(config::YamlReader& root) {
  EventRules out;
  auto list = root.mappings("rules");
  if (!list) {
    root.problem("rules", "is required: a list of rules (name, event_type, target, action, ...)");
    root.finish();
    return out;
  }
  std::set<std::string> names;
  for (auto& r : *list) {
    EventRule rule;
    if (auto name = r.str("name")) {
      rule.name = *name;
      if (!subjects::isValidToken(*name)) {
        r.problem("name", "must be 1-128 characters of A-Z a-z 0-9 _ -, got \"" + *name + "\"");
      } else if (!names.insert(*name).second) {
        r.problem("name", "\"" + *name + "\" is used by another rule");
      }
    } else {
      r.problem("name", "is required");
    }
    if (auto type = r.str("event_type")) {
      rule.event_type = *type;
      if (type->empty() || type->size() > 128) {
        r.problem("event_type", "must be 1-128 characters");
      }
    } else {
      r.problem("event_type", "is required");
    }
    rule.target = r.str("target", "*");
    if (rule.target.empty()) {
      r.problem("target", "must not be empty (\"*\" matches every target)");
    }
    if (auto action = r.str("action")) {
      rule.action = *action;
      if (!subjects::isValidToken(*action)) {
        r.problem("action", "must be an action name of A-Z a-z 0-9 _ -, got \"" + *action + "\"");
      }
    } else {
      r.problem("action", "is required: an action name from the agent's config");
    }
    rule.agent = r.str("agent", "");
    if (!rule.agent.empty() && !subjects::isValidToken(rule.agent)) {
      r.problem("agent", "must be an agent id of A-Z a-z 0-9 _ -, got \"" + rule.agent + "\"");
    }
    rule.allow_operator_override = r.boolean("allow_operator_override", false);
    if (r.has("cooldown")) {
      rule.cooldown = r.duration("cooldown", 0ms, 0ms, milliseconds{std::chrono::hours{24}});
    }
    if (auto params = r.mapping("params")) {
      for (const auto& pname : params->keys()) {
        if (!subjects::isValidToken(pname)) {
          params->problem(pname, "parameter names are A-Z a-z 0-9 _ -");
        }
        auto p = params->mapping(pname);
        if (!p) {
          continue;
        }
        ParamRule param;
        readParam(*p, pname, param);
        rule.params.push_back(std::move(param));
      }
      params->finish();
    }
    r.finish();
    out.rules.push_back(std::move(rule));
  }
  root.finish();
  return out;
}

std::optional<EventRules> parseEventRules(const std::string& text, const std::string& file,
                                          config::Problems& problems) {
  const std::size_t before = problems.list().size();
  auto root = config::YamlReader::loadString(text, file, problems);
  if (!root) {
    return std::nullopt;
  }
  auto rules = readEventRules(*root);
  if (problems.list().size() != before) {
    return std::nullopt;
  }
  return rules;
}

Result<std::map<std::string, std::string>> buildParams(const EventRule& rule,
                                                       const std::string& target,
                                                       const nlohmann::json& payload) {
  std::map<std::string, std::string> out;
  for (const auto& p : rule.params) {
    std::optional<std::string> text;
    if (p.from == "$target") {
      text = target;
    } else if (payload.is_object() && payload.contains(p.from) && !payload[p.from].is_null()) {
      const auto& v = payload[p.from];
      switch (p.type) {
        case ParamType::String:
          if (!v.is_string()) {
            return paramError(p.name, "payload." + p.from + " must be a string");
          }
          text = v.get<std::string>();
          break;
        case ParamType::Integer:
          if (!v.is_number_integer()) {
            return paramError(p.name, "payload." + p.from + " must be an integer");
          }
          text = v.is_number_unsigned() ? std::to_string(v.get<std::uint64_t>())
                                        : std::to_string(v.get<std::int64_t>());
          break;
        case ParamType::Boolean:
          if (!v.is_boolean()) {
            return paramError(p.name, "payload." + p.from + " must be true or false");
          }
          text = v.get<bool>() ? "true" : "false";
          break;
      }
    } else if (p.default_value) {
      text = *p.default_value;
    } else if (p.required) {
      return paramError(p.name, "payload." + p.from + " is required");
    } else {
      continue;
    }
    if (text->size() > kMaxValue) {
      return paramError(p.name, "longer than 1024 bytes");
    }
    if (p.pattern && !std::regex_match(*text, *p.pattern)) {
      return paramError(p.name, "\"" + *text + "\" does not match " + p.pattern_text);
    }
    if (!p.allowed.empty() &&
        std::find(p.allowed.begin(), p.allowed.end(), *text) == p.allowed.end()) {
      std::string list;
      for (const auto& a : p.allowed) {
        list += (list.empty() ? "" : ", ") + a;
      }
      return paramError(p.name, "\"" + *text + "\" is not one of " + list);
    }
    out[p.name] = *text;
  }
  return out;
}

}  // namespace vitals::hub::events
