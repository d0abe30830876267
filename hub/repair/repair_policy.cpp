#include "hub/repair/repair_policy.hpp"

#include <algorithm>

namespace vitals::hub::repair {
namespace {

using nlohmann::json;
using std::chrono::seconds;

Error invalid(std::string message) { return Error{"policy.invalid", std::move(message), {}}; }

// Action names travel to agents as subject payload fields: the same token rule as agent ids.
bool validActionName(const std::string& s) {
  if (s.size() > 128) {
    return false;
  }
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view toString(FailureClass c) {
  switch (c) {
    case FailureClass::Timeout:
      return "timeout";
    case FailureClass::Crashed:
      return "crashed";
    case FailureClass::Refused:
      return "refused";
    case FailureClass::Unexpected:
      return "unexpected";
    case FailureClass::Error:
      return "error";
    case FailureClass::Degraded:
      return "degraded";
    case FailureClass::DependencyDown:
      return "dependency_down";
  }
  return "error";
}

std::optional<FailureClass> parseFailureClass(std::string_view text) {
  for (FailureClass c : kFailureClasses) {
    if (toString(c) == text) {
      return c;
    }
  }
  return std::nullopt;
}

RepairPolicy defaultPolicy(const std::string& service, bool has_rebuild) {
  RepairPolicy p;
  p.service = service;
  const std::string restart = "restart-" + service;
  p.restart_action = restart;
  p.actions[FailureClass::Timeout] = restart;
  p.actions[FailureClass::Refused] = restart;
  p.actions[FailureClass::Crashed] = has_rebuild ? "rebuild-" + service : restart;
  return p;
}

nlohmann::json toJson(const RepairPolicy& p) {
  json actions = json::object();
  for (FailureClass c : kFailureClasses) {
    auto it = p.actions.find(c);
    actions[std::string(toString(c))] = it == p.actions.end() ? "" : it->second;
  }
  json j = {{"service", p.service},
            {"enabled", p.enabled},
            {"dry_run", p.dry_run},
            {"require_approval", p.require_approval},
            {"actions", actions},
            {"restart_action", p.restart_action},
            {"max_attempts", p.max_attempts},
            {"cooldown_seconds", std::chrono::duration_cast<seconds>(p.cooldown).count()},
            {"circuit_breaker", p.circuit_breaker},
            {"verify_after_seconds", std::chrono::duration_cast<seconds>(p.verify_after).count()},
            {"updated_by", p.updated_by}};
  j["updated_at"] = p.updated_at ? json(formatRfc3339(*p.updated_at)) : json(nullptr);
  j["breaker_reset_at"] =
      p.breaker_reset_at ? json(formatRfc3339(*p.breaker_reset_at)) : json(nullptr);
  return j;
}

Result<RepairPolicy> policyFromJson(const nlohmann::json& body, RepairPolicy p) {
  if (!body.is_object()) {
    return invalid("the body must be a JSON object");
  }
  static const char* const kKnown[] = {"service",
                                       "enabled",
                                       "dry_run",
                                       "require_approval",
                                       "actions",
                                       "restart_action",
                                       "max_attempts",
                                       "cooldown_seconds",
                                       "circuit_breaker",
                                       "verify_after_seconds",
                                       "updated_at",
                                       "updated_by",
                                       "breaker_reset_at",
                                       "source",
                                       "note"};  // read-only fields of GET, ignored
  for (const auto& [key, value] : body.items()) {
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      return invalid("unknown field \"" + key + "\"");
    }
  }
  if (body.contains("service") && body["service"] != p.service) {
    return invalid("service: must match the URL (\"" + p.service + "\")");
  }
  auto boolean = [&](const char* key, bool& out) -> std::optional<Error> {
    if (!body.contains(key)) {
      return std::nullopt;
    }
    if (!body[key].is_boolean()) {
      return invalid(std::string(key) + ": must be true or false");
    }
    out = body[key].get<bool>();
    return std::nullopt;
  };
  auto integer = [&](const char* key, std::int64_t lo, std::int64_t hi,
                     std::int64_t& out) -> std::optional<Error> {
    if (!body.contains(key)) {
      return std::nullopt;
    }
    const auto& v = body[key];
    if (!v.is_number_integer() || v.get<std::int64_t>() < lo || v.get<std::int64_t>() > hi) {
      return invalid(std::string(key) + ": must be an integer from " + std::to_string(lo) + " to " +
                     std::to_string(hi));
    }
    out = v.get<std::int64_t>();
    return std::nullopt;
  };
  auto action = [&](const std::string& where, const json& v,
                    std::string& out) -> std::optional<Error> {
    if (!v.is_string() || !validActionName(v.get<std::string>())) {
      return invalid(where + ": must be an action name (A-Z a-z 0-9 _ -, at most 128) or \"\"");
    }
    out = v.get<std::string>();
    return std::nullopt;
  };
  if (auto e = boolean("enabled", p.enabled)) {
    return *e;
  }
  if (auto e = boolean("dry_run", p.dry_run)) {
    return *e;
  }
  if (auto e = boolean("require_approval", p.require_approval)) {
    return *e;
  }
  std::int64_t n = p.max_attempts;
  if (auto e = integer("max_attempts", 1, 100, n)) {
    return *e;
  }
  p.max_attempts = static_cast<int>(n);
  n = p.circuit_breaker;
  if (auto e = integer("circuit_breaker", 1, 100, n)) {
    return *e;
  }
  p.circuit_breaker = static_cast<int>(n);
  n = std::chrono::duration_cast<seconds>(p.cooldown).count();
  if (auto e = integer("cooldown_seconds", 0, 7 * 24 * 3600, n)) {
    return *e;
  }
  p.cooldown = seconds{n};
  n = std::chrono::duration_cast<seconds>(p.verify_after).count();
  if (auto e = integer("verify_after_seconds", 0, 24 * 3600, n)) {
    return *e;
  }
  p.verify_after = seconds{n};
  if (body.contains("restart_action")) {
    if (auto e = action("restart_action", body["restart_action"], p.restart_action)) {
      return *e;
    }
  }
  if (body.contains("actions")) {
    const auto& a = body["actions"];
    if (!a.is_object()) {
      return invalid("actions: must be an object of failure class -> action name");
    }
    for (const auto& [key, value] : a.items()) {
      auto cls = parseFailureClass(key);
      if (!cls) {
        return invalid("actions: unknown failure class \"" + key +
                       "\" (timeout, crashed, refused, unexpected, error, degraded, "
                       "dependency_down)");
      }
      std::string name;
      if (auto e = action("actions." + key, value, name)) {
        return *e;
      }
      if (*cls == FailureClass::DependencyDown && !name.empty()) {
        return invalid(
            "actions.dependency_down: must be \"\" (a service whose dependency is "
            "down is never repaired)");
      }
      p.actions[*cls] = name;
    }
  }
  return p;
}

}  // namespace vitals::hub::repair
