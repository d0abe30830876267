#pragma once
// /api/v1/uptime, /api/v1/services/{name}/uptime and /api/v1/services/{name}/trends: uptime
// ratios from the hourly rollups, the status windows for drawing, hourly latency and status
// buckets. Reads from the UptimeReader (PostgreSQL) on HTTP threads.
#include <optional>

#include "common/time/clock.hpp"
#include "hub/alerts/maintenance_source.hpp"
#include "hub/api/api_types.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/store/status_store.hpp"

namespace vitals::hub::api {

inline constexpr int kDefaultTrendHours = 24;

// Maintenance windows (hub/alerts/maintenance_source.hpp): their time is left out of uptime.
using alerts::MaintenanceSource;
using alerts::MaintenanceWindow;
inline constexpr int kMaxTrendHours = 24 * 31;

class UptimeHandler {
 public:
  UptimeHandler(const state::HubState& state, store::UptimeReader& reader, const Clock& clock,
                double degraded_weight, MaintenanceSource* maintenance = nullptr)
      : state_(state),
        reader_(reader),
        clock_(clock),
        degraded_weight_(degraded_weight),
        maintenance_(maintenance) {}
  ApiResponse all(const ApiRequest& req) const;
  ApiResponse service(const ApiRequest& req) const;
  ApiResponse trends(const ApiRequest& req) const;
  // Asks the reader for every service's 7-day and 30-day totals once per hour (the first call in
  // each hour), so that its per-hour caches are filled before the first request of the hour
  // needs them. For a periodic timer; does nothing more the rest of the hour.
  Status warm();

 private:
  // nullopt + error response when the service is unknown to both memory and history.
  std::optional<ApiResponse> unknownService(const std::string& name) const;
  // Moves the maintenance time of each service in `totals` into `excluded`.
  Status applyMaintenance(std::map<std::string, policy::StatusSeconds>& totals, SystemTime since,
                          SystemTime now) const;
  const state::HubState& state_;
  store::UptimeReader& reader_;
  const Clock& clock_;
  double degraded_weight_;
  MaintenanceSource* maintenance_;
  std::optional<SystemTime> warmed_hour_;  // warm() is called from one thread
};

}  // namespace vitals::hub::api
