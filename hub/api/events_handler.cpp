#include "hub/api/events_handler.hpp"

#include <charconv>

#include "hub/api/request_helpers.hpp"
#include "hub/events/hmac_auth.hpp"

namespace vitals::hub::api {

ApiResponse EventsHandler::post(const ApiRequest& req) const {
  events::EventCaller caller;
  const std::string* signature = req.header("X-Vitals-Signature");
  const std::string* timestamp = req.header("X-Vitals-Timestamp");
  if (signature != nullptr || timestamp != nullptr) {
    auto ok = events::verifySignature(hmac_, timestamp != nullptr ? *timestamp : "",
                                      signature != nullptr ? *signature : "", req.body,
                                      clock_.now());
    if (!ok.ok()) {
      auto r = errorResponse(401, code::kUnauthorized, ok.error().message);
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return r;
    }
    if (!replays_.firstUse(*signature, clock_.now(), hmac_.max_age)) {
      auto r = errorResponse(401, code::kUnauthorized, "this signed request was already accepted");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return r;
    }
    caller.actor = "hmac";
    caller.role = hmac_.role;
    caller.source = "http:hmac";
  } else if (!req.role.empty()) {
    caller.actor = req.actor;
    caller.role = req.role;
    caller.source = "http:" + req.actor;
  } else {
    auto r = errorResponse(401, code::kUnauthorized,
                           "send an API key (Authorization: Bearer <key>) or sign the request "
                           "(X-Vitals-Timestamp, X-Vitals-Signature)");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  const auto out = processor_.handleBody(req.body, caller);
  auto resp = jsonResponse(events::toJson(out), out.status);
  return resp;
}

ApiResponse EventsHandler::list(const ApiRequest& req) const {
  const auto limit = limitParam(req, kDefaultEventLimit, kMaxEventLimit);
  if (!limit.ok()) {
    return errorFrom(limit.error());
  }
  auto rows = log_.recent(limit.value());
  if (!rows.ok()) {
    return errorResponse(503, "unavailable", "the database is not reachable: " +
                                                 rows.error().message);
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& e : rows.value()) {
    items.push_back(events::toJson(e));
  }
  return jsonResponse({{"events", items}});
}

}  // namespace vitals::hub::api
