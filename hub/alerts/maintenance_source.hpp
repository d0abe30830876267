#pragma once
// Maintenance windows: silences with maintenance: true that match whole services. The alerts
// module owns them; uptime reads them (through this interface) to leave their time out.
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"

namespace vitals::hub::alerts {

struct MaintenanceWindow {
  std::string service_glob;  // globMatch() pattern (hub/alerts/alert_policy.hpp)
  SystemTime start{};
  SystemTime end{};
};

// Implemented by PgAlertApiStore; called on HTTP threads.
class MaintenanceSource {
 public:
  virtual ~MaintenanceSource() = default;
  virtual Result<std::vector<MaintenanceWindow>> maintenance(SystemTime from, SystemTime until) = 0;
};

}  // namespace vitals::hub::alerts
