#include "hub/notify/notification.hpp"

#include "common/time/clock.hpp"

namespace vitals::hub::notify {

nlohmann::json toJson(const Notification& n) {
  return {{"incident", n.incident},       {"transition", n.transition},
          {"channel", n.channel},         {"service", n.service},
          {"from_status", n.from_status}, {"to_status", n.to_status},
          {"summary", n.summary},         {"at", formatRfc3339(n.at)},
          {"idempotency_key", n.idempotencyKey()}};
}

Result<Notification> notificationFromJson(const nlohmann::json& j) {
  if (!j.is_object()) {
    return Error{"notify.payload", "payload is not a JSON object", {}};
  }
  Notification n;
  const std::pair<const char*, std::string*> fields[] = {
      {"incident", &n.incident},   {"transition", &n.transition},
      {"channel", &n.channel},     {"service", &n.service},
      {"from_status", &n.from_status}, {"to_status", &n.to_status},
      {"summary", &n.summary}};
  for (const auto& [name, out] : fields) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) {
      return Error{"notify.payload", std::string("payload field ") + name + " is not a string",
                   {}};
    }
    *out = it->get<std::string>();
  }
  auto at = j.find("at");
  if (at == j.end() || !at->is_string()) {
    return Error{"notify.payload", "payload field at is not a string", {}};
  }
  if (!parseRfc3339(at->get<std::string>(), n.at)) {
    return Error{"notify.payload", "payload field at is not an RFC 3339 time", {}};
  }
  return n;
}

}  // namespace vitals::hub::notify
