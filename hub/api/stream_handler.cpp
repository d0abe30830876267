#include "hub/api/stream_handler.hpp"

#include "hub/api/sse_stream.hpp"
#include "hub/api/ws_messages.hpp"

namespace vitals::hub::api {

std::unique_ptr<stream::Subscription> StreamHandler::open(const ApiRequest& req,
                                                          ApiResponse& refusal) const {
  const auto* kinds = req.param("kinds");
  const auto* services = req.param("services");
  auto filter =
      stream::parseFilter(kinds != nullptr ? *kinds : "", services != nullptr ? *services : "");
  if (!filter.ok()) {
    refusal = errorResponse(400, "bad_request", filter.error().message);
    return nullptr;
  }
  auth::Role role = auth::Role::Readonly;
  if (const auto* ticket = req.param("ticket")) {
    auto holder = tickets_.redeem(*ticket);
    if (!holder.ok() && holder.error().code != "stream.bad_ticket") {
      // The shared ticket table cannot be read: the ticket may be good, so not a 401.
      refusal = errorResponse(503, "unavailable",
                              "stream tickets cannot be checked now: " + holder.error().message);
      refusal.headers.emplace_back("Retry-After", "5");
      return nullptr;
    }
    if (!holder.ok()) {
      refusal = errorResponse(401, "unauthorized", holder.error().message);
      refusal.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="vitals")");
      return nullptr;
    }
    role = holder->role;
  } else if (auto parsed = auth::parseRole(req.role)) {
    role = *parsed;
  } else {
    refusal = errorResponse(401, "unauthorized",
                            "the stream needs an API key (\"Authorization: Bearer <key>\") or a "
                            "ticket (?ticket=, from POST /api/v1/stream/tickets)");
    refusal.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="vitals")");
    return nullptr;
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
      refusal = errorResponse(400, "bad_request", sub.error().message);
      return nullptr;
    }
    refusal = errorResponse(503, "unavailable", sub.error().message);
    refusal.headers.emplace_back("Retry-After", "5");
    return nullptr;
  }
  return std::move(*sub);
}

ApiResponse StreamHandler::stream(const ApiRequest& req) const {
  ApiResponse refusal;
  auto sub = open(req, refusal);
  if (sub == nullptr) {
    return refusal;
  }
  ApiResponse r;
  r.content_type = "text/event-stream";
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Accel-Buffering", "no");  // proxies: do not buffer the stream
  r.stream = std::make_shared<SseStream>(std::move(sub), clock_);
  return r;
}

ApiResponse StreamHandler::websocket(const ApiRequest& req) const {
  // Only the WebSocket listener sets this header (and the HTTP server drops it from clients):
  // cpp-httplib cannot take over a connection for the WebSocket protocol.
  if (req.header(kWebsocketTransportHeader) == nullptr) {
    auto r = errorResponse(
        426, "upgrade_required",
        websocket_port_ > 0
            ? "GET /api/v1/ws is served as a WebSocket on port " + std::to_string(websocket_port_) +
                  " (http.websocket_listen)"
            : std::string("the WebSocket stream is off (set http.websocket_listen); "
                          "GET /api/v1/stream serves the same events as Server-Sent Events"));
    r.headers.emplace_back("Upgrade", "websocket");
    return r;
  }
  ApiResponse refusal;
  auto sub = open(req, refusal);
  if (sub == nullptr) {
    return refusal;
  }
  ApiResponse r;
  r.status = 101;
  r.messages = std::make_shared<SubscriptionMessages>(std::move(sub));
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
