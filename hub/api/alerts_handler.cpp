#include "hub/api/alerts_handler.hpp"

#include "hub/api/request_helpers.hpp"
#include "hub/api/services_handler.hpp"

namespace vitals::hub::api {
namespace {

using nlohmann::json;

}  // namespace

ApiResponse AlertsHandler::listConfigs(const ApiRequest&) const {
  auto rows = configs_.list();
  if (!rows.ok()) {
    return storeError(rows.error());
  }
  json out = json::array();
  for (const auto& c : rows.value()) {
    out.push_back(notify::toJson(c));
  }
  return jsonResponse({{"configs", out}});
}

ApiResponse AlertsHandler::getConfig(const ApiRequest& req) const {
  const auto& service = req.path_params.at("service");
  auto c = configs_.get(service);
  if (!c.ok()) {
    return storeError(c.error());
  }
  if (!c->has_value()) {
    return errorResponse(404, "not_found", "no alert config for service \"" + service + "\"");
  }
  return jsonResponse(notify::toJson(**c));
}

ApiResponse AlertsHandler::putConfig(const ApiRequest& req) const {
  const auto& service = req.path_params.at("service");
  if (service.empty() || service.size() > 256) {
    return badRequest("service: must be 1-256 characters");
  }
  const json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) {
    return badRequest("the body is not valid JSON");
  }
  auto parsed = notify::parseAlertConfig(body, service, channels_);
  if (!parsed.ok()) {
    return badRequest(parsed.error().message);
  }
  const auto now = clock_.now();
  auto created = configs_.put(parsed.value(), now);
  if (!created.ok()) {
    return storeError(created.error());
  }
  auto stored = configs_.get(service);
  if (!stored.ok()) {
    return storeError(stored.error());
  }
  if (!stored->has_value()) {
    return errorResponse(409, "conflict", "the config was deleted concurrently");
  }
  return jsonResponse(notify::toJson(**stored), created.value() ? 201 : 200);
}

ApiResponse AlertsHandler::deleteConfig(const ApiRequest& req) const {
  const auto& service = req.path_params.at("service");
  auto removed = configs_.remove(service);
  if (!removed.ok()) {
    return storeError(removed.error());
  }
  if (!removed.value()) {
    return errorResponse(404, "not_found", "no alert config for service \"" + service + "\"");
  }
  ApiResponse r;
  r.status = 204;
  r.text = "";
  return r;
}

ApiResponse AlertsHandler::notifications(const ApiRequest& req) const {
  std::string status;
  if (const auto* s = req.param("status")) {
    if (*s != "pending" && *s != "sending" && *s != "delivered" && *s != "failed") {
      return badParameter("status", "must be pending, sending, delivered or failed");
    }
    status = *s;
  }
  const auto limit = limitParam(req, kDefaultNotificationLimit, kMaxNotificationLimit);
  if (!limit.ok()) {
    return errorFrom(limit.error());
  }
  auto rows = outbox_.list(status, limit.value());
  if (!rows.ok()) {
    return storeError(rows.error());
  }
  json out = json::array();
  for (const auto& e : rows.value()) {
    json item = {{"id", e.id},
                 {"idempotency_key", e.idempotency_key},
                 {"channel", e.channel},
                 {"status", e.status},
                 {"attempts", e.attempts},
                 {"last_error", e.last_error},
                 {"created_at", formatRfc3339(e.created_at)},
                 {"next_attempt_at", formatRfc3339(e.next_attempt_at)},
                 {"delivered_at", e.delivered_at ? json(formatRfc3339(*e.delivered_at)) : json()},
                 {"payload", json::parse(e.payload, nullptr, false)}};
    out.push_back(std::move(item));
  }
  return jsonResponse({{"notifications", out}});
}

}  // namespace vitals::hub::api
