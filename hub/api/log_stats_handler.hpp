#pragma once
// /api/v1/logs/... (log statistics from the log_stats rollups, top messages, log-rate
// thresholds) and /api/v1/jobs (runs of the hub's periodic jobs). Blocking store calls on HTTP
// threads. docs/log-statistics.md describes the numbers.
#include <functional>
#include <string>

#include "common/time/clock.hpp"
#include "hub/api/api_types.hpp"
#include "hub/logstats/log_stats_store.hpp"
#include "hub/logstats/log_thresholds.hpp"
#include "hub/policy/service_rule.hpp"

namespace vitals::hub::api {

class LogStatsHandler {
 public:
  // `rules`: hub.yaml's thresholds (listed with source "config"). `on_threshold_change` runs
  // after a threshold was stored or removed (this replica re-reads them at once).
  LogStatsHandler(logstats::LogStatsReader& reader, logstats::ThresholdStore& thresholds,
                  policy::ServiceRules rules, const Clock& clock,
                  std::function<void()> on_threshold_change = {})
      : reader_(reader),
        thresholds_(thresholds),
        rules_(std::move(rules)),
        clock_(clock),
        on_threshold_change_(std::move(on_threshold_change)) {}

  ApiResponse stats(const ApiRequest& req) const;         // GET /api/v1/logs/stats
  ApiResponse serviceStats(const ApiRequest& req) const;  // GET /api/v1/logs/stats/{service}
  ApiResponse topErrors(const ApiRequest& req) const;     // GET /api/v1/logs/top-errors
  ApiResponse listThresholds(const ApiRequest& req) const;
  ApiResponse putThreshold(const ApiRequest& req) const;
  ApiResponse deleteThreshold(const ApiRequest& req) const;
  ApiResponse jobs(const ApiRequest& req) const;  // GET /api/v1/jobs

 private:
  logstats::LogStatsReader& reader_;
  logstats::ThresholdStore& thresholds_;
  policy::ServiceRules rules_;
  const Clock& clock_;
  std::function<void()> on_threshold_change_;
};

}  // namespace vitals::hub::api
