#pragma once
// POST /api/v1/events (an event from another tool: the auto-healer use case) and
// GET /api/v1/events (the recent ones and what they ran). A POST is authenticated either by an
// API key (operator or admin; the access layer sets req.role) or by an HMAC signature
// (X-Vitals-Timestamp + X-Vitals-Signature, hub/events/hmac_auth.hpp). When a signature header
// is present it is always verified, whatever else the request carries.
#include "common/time/clock.hpp"
#include "hub/api/api_types.hpp"
#include "hub/events/event_processor.hpp"
#include "hub/events/event_log.hpp"
#include "hub/events/events_settings.hpp"
#include "hub/events/hmac_auth.hpp"

namespace vitals::hub::api {

inline constexpr int kDefaultEventLimit = 100;
inline constexpr int kMaxEventLimit = 1000;

class EventsHandler {
 public:
  EventsHandler(events::EventProcessor& processor, events::EventLog& log,
                events::HmacSettings hmac, const Clock& clock)
      : processor_(processor), log_(log), hmac_(std::move(hmac)), clock_(clock) {}
  ApiResponse post(const ApiRequest& req) const;
  ApiResponse list(const ApiRequest& req) const;

 private:
  events::EventProcessor& processor_;
  events::EventLog& log_;
  events::HmacSettings hmac_;
  const Clock& clock_;
  mutable events::ReplayGuard replays_;
};

}  // namespace vitals::hub::api
