#include "hub/notify/alert_config.hpp"

#include "common/time/clock.hpp"

namespace vitals::hub::notify {
namespace {

Error invalid(const std::string& field, const std::string& why) {
  return Error{"invalid", field + ": " + why, field};
}

}  // namespace

Result<AlertConfig> parseAlertConfig(const nlohmann::json& body, const std::string& service,
                                     const std::set<std::string>& known_channels) {
  if (!body.is_object()) {
    return Error{"invalid", "the body must be a JSON object", {}};
  }
  AlertConfig c;
  c.service = service;
  for (const auto& [key, v] : body.items()) {
    if (key == "service") {
      if (!v.is_string() || v.get<std::string>() != service) {
        return invalid(key, "must be absent or equal the service in the path");
      }
    } else if (key == "channels") {
      if (!v.is_array()) {
        return invalid(key, "must be an array of channel names");
      }
      std::set<std::string> seen;
      for (const auto& ch : v) {
        if (!ch.is_string()) {
          return invalid(key, "must be an array of channel names");
        }
        const auto name = ch.get<std::string>();
        if (known_channels.count(name) == 0) {
          return invalid(key, "\"" + name + "\" is not a channel in the hub config (notify.channels)");
        }
        if (!seen.insert(name).second) {
          return invalid(key, "\"" + name + "\" is listed twice");
        }
        c.channels.push_back(name);
      }
    } else if (key == "escalation_delay_seconds" || key == "suppression_window_seconds") {
      if (!v.is_number_integer() || v.get<std::int64_t>() < 0 ||
          v.get<std::int64_t>() > 30LL * 86400) {
        return invalid(key, "must be an integer from 0 to 2592000");
      }
      (key == "escalation_delay_seconds" ? c.escalation_delay_seconds
                                         : c.suppression_window_seconds) = v.get<int>();
    } else if (key == "recovery_notice" || key == "enabled") {
      if (!v.is_boolean()) {
        return invalid(key, "must be true or false");
      }
      (key == "enabled" ? c.enabled : c.recovery_notice) = v.get<bool>();
    } else if (key == "min_severity") {
      if (!v.is_string() || (v != "degraded" && v != "down" && v != "unknown")) {
        return invalid(key, "must be \"degraded\", \"down\" or \"unknown\"");
      }
      c.min_severity = v.get<std::string>();
    } else if (key == "created_at" || key == "updated_at") {
      continue;  // read-only; accepted so a GET body can be PUT back
    } else {
      return invalid(key, "unknown field");
    }
  }
  return c;
}

nlohmann::json toJson(const AlertConfig& c) {
  return {{"service", c.service},
          {"channels", c.channels},
          {"escalation_delay_seconds", c.escalation_delay_seconds},
          {"suppression_window_seconds", c.suppression_window_seconds},
          {"recovery_notice", c.recovery_notice},
          {"min_severity", c.min_severity},
          {"enabled", c.enabled},
          {"created_at", formatRfc3339(c.created_at)},
          {"updated_at", formatRfc3339(c.updated_at)}};
}

}  // namespace vitals::hub::notify
