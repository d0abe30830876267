#pragma once
// /api/v1/alerts/configs (per-service alert configuration CRUD) and /api/v1/notifications (the
// outbox: what was, is being and will be delivered). Blocking store calls on HTTP threads.
#include <set>
#include <string>

#include "common/time/clock.hpp"
#include "hub/api/api_types.hpp"
#include "hub/notify/alert_config.hpp"
#include "hub/notify/pg_alert_config_store.hpp"

namespace vitals::hub::api {

inline constexpr int kDefaultNotificationLimit = 100;
inline constexpr int kMaxNotificationLimit = 1000;

class AlertsHandler {
 public:
  // channels: the names configured under notify.channels (a PUT may only use these).
  AlertsHandler(notify::AlertConfigStore& configs, notify::OutboxReader& outbox,
                std::set<std::string> channels, const Clock& clock)
      : configs_(configs), outbox_(outbox), channels_(std::move(channels)), clock_(clock) {}
  ApiResponse listConfigs(const ApiRequest& req) const;
  ApiResponse getConfig(const ApiRequest& req) const;
  ApiResponse putConfig(const ApiRequest& req) const;
  ApiResponse deleteConfig(const ApiRequest& req) const;
  ApiResponse notifications(const ApiRequest& req) const;

 private:
  notify::AlertConfigStore& configs_;
  notify::OutboxReader& outbox_;
  std::set<std::string> channels_;
  const Clock& clock_;
};

}  // namespace vitals::hub::api
