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

  // Query: kinds, services (filters), ticket (instead of a key), last_event_id (as the
  // Last-Event-ID header, which wins). The caller's role decides which events it gets.
  ApiResponse stream(const ApiRequest& req) const;
  // 201 {"ticket","expires_at","expires_in_s"} for the calling key's actor and role.
  ApiResponse createTicket(const ApiRequest& req) const;

 private:
  stream::StreamHub& hub_;
  stream::TicketStore& tickets_;
  const Clock& clock_;
};

}  // namespace vitals::hub::api
