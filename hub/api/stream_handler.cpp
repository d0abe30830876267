#include "hub/api/stream_handler.hpp"

#include "hub/api/sse_stream.hpp"

namespace vitals::hub::api {

ApiResponse StreamHandler::stream(const ApiRequest& req) const {
  const auto* kinds = req.param("kinds");
  const auto* services = req.param("services");
  auto filter =
      stream::parseFilter(kinds != nullptr ? *kinds : "", services != nullptr ? *services : "");
  if (!filter.ok()) {
    return errorResponse(400, "bad_request", filter.error().message);
  }
  auth::Role role = auth::Role::Readonly;
  if (const auto* ticket = req.param("ticket")) {
    auto holder = tickets_.redeem(*ticket);
    if (!holder.ok()) {
      auto r = errorResponse(401, "unauthorized", holder.error().message);
      r.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="vitals")");
      return r;
    }
    role = holder->role;
  } else if (auto parsed = auth::parseRole(req.role)) {
    role = *parsed;
  } else {
    auto r = errorResponse(401, "unauthorized",
                           "the stream needs an API key (\"Authorization: Bearer <key>\") or a "
                           "ticket (?ticket=, from POST /api/v1/stream/tickets)");
    r.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="vitals")");
    return r;
  }
  std::string last_id;
  if (const auto* header = req.header("Last-Event-ID")) {
    last_id = *header;
  } else if (const auto* param = req.param("last_event_id")) {
    last_id = *param;
  }
  auto sub = hub_.subscribe(std::move(*filter), role, last_id);
  if (!sub.ok()) {
    if (sub.error().code == "stream.bad_last_event_id") {
      return errorResponse(400, "bad_request", sub.error().message);
    }
    auto r = errorResponse(503, "unavailable", sub.error().message);
    r.headers.emplace_back("Retry-After", "5");
    return r;
  }
  ApiResponse r;
  r.content_type = "text/event-stream";
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Accel-Buffering", "no");  // proxies: do not buffer the stream
  r.stream = std::make_shared<SseStream>(std::move(*sub), clock_);
  return r;
}

ApiResponse StreamHandler::createTicket(const ApiRequest& req) const {
  const auto role = auth::parseRole(req.role);
  if (!role) {
    return errorResponse(401, "unauthorized", "a stream ticket needs an API key");
  }
  auto ticket = tickets_.issue({req.actor, *role});
  if (!ticket.ok()) {
    auto r = errorResponse(503, "unavailable", ticket.error().message);
    r.headers.emplace_back("Retry-After", "5");
    return r;
  }
  const auto in =
      std::chrono::duration_cast<std::chrono::seconds>(ticket->expires_at - clock_.now());
  return jsonResponse({{"ticket", ticket->token},
                       {"expires_at", formatRfc3339(ticket->expires_at)},
                       {"expires_in_s", in.count()},
                       {"role", req.role}},
                      201);
}

}  // namespace vitals::hub::api
