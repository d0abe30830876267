#pragma once
// /api/v1/alerts (incidents: list, one with its timeline, acknowledge) and /api/v1/silences
// (silences and maintenance windows). Blocking store calls on HTTP threads.
#include "common/time/clock.hpp"
#include "hub/alerts/alert_api_store.hpp"
#include "hub/api/api_types.hpp"

namespace vitals::hub::api {

class IncidentsHandler {
 public:
  IncidentsHandler(alerts::AlertApiStore& store, const Clock& clock)
      : store_(store), clock_(clock) {}
  ApiResponse list(const ApiRequest& req) const;
  ApiResponse get(const ApiRequest& req) const;
  ApiResponse ack(const ApiRequest& req) const;
  ApiResponse listSilences(const ApiRequest& req) const;
  ApiResponse getSilence(const ApiRequest& req) const;
  ApiResponse createSilence(const ApiRequest& req) const;
  ApiResponse expireSilence(const ApiRequest& req) const;

 private:
  alerts::AlertApiStore& store_;
  const Clock& clock_;
};

// A POST /api/v1/silences body -> silence (creator and created_at set by the caller). Unknown
// fields, wrong types, bad times and an all-'*' matcher are refused naming the field.
Result<alerts::Silence> parseSilence(const nlohmann::json& body, SystemTime now);
nlohmann::json toJson(const alerts::Silence& s, SystemTime now);
nlohmann::json toJson(const alerts::Incident& i);

}  // namespace vitals::hub::api
