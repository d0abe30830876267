#pragma once
// GET /api/v1/stream (Server-Sent Events of the live stream, hub/stream/) and
// POST /api/v1/stream/tickets (a single-use ticket that opens one stream without a key in the
// URL, for browsers' EventSource).
#include "common/time/clock.hpp"
#include "hub/api/api_types.hpp"
#include "hub/stream/stream_hub.hpp"
#include "hub/stream/ticket_store.hpp"

namespace vitals::hub::api {

class StreamHandler {
 public:
  // All references must outlive the handler and every stream it opened.
  StreamHandler(stream::StreamHub& hub, stream::TicketStore& tickets, const Clock& clock)
      : hub_(hub), tickets_(tickets), clock_(clock) {}

  // The WebSocket listener's port, named in the 426 that GET /api/v1/ws gets over plain HTTP
  // (0: the listener is off). Set before the server starts.
  void setWebsocketPort(int port) { websocket_port_ = port; }

  // Query: kinds, services (filters), ticket (instead of a key), last_event_id (as the
  // Last-Event-ID header, which wins). The caller's role decides which events it gets.
  ApiResponse stream(const ApiRequest& req) const;
  // GET /api/v1/ws: the same events, filters and authentication as stream(), as WebSocket
  // messages (ws_messages.hpp): 101 with `messages` when called by the WebSocket listener, 426
  // over plain HTTP.
  ApiResponse websocket(const ApiRequest& req) const;
  // 201 {"ticket","expires_at","expires_in_s"} for the calling key's actor and role.
  ApiResponse createTicket(const ApiRequest& req) const;

 private:
  // The subscription a stream request asks for, or null with the refusal (400/401/503) set.
  std::unique_ptr<stream::Subscription> open(const ApiRequest& req, ApiResponse& refusal) const;
  stream::StreamHub& hub_;
  stream::TicketStore& tickets_;
  const Clock& clock_;
  int websocket_port_ = 0;
};

}  // namespace vitals::hub::api
