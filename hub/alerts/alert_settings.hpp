#pragma once
// `alerts:` in the hub config: the defaults for services without a stored alert config and the
// engine's timing. Plain values, filled by hub/config.
#include <chrono>
#include <string>
#include <vector>

namespace vitals::hub::alerts {

struct AlertSettings {
  std::vector<std::string> default_channels;  // escalation order; names from notify.channels
  int escalation_delay_seconds = 0;           // 0 = no escalation
  int suppression_window_seconds = 3600;      // reminder interval; 0 = no reminders
  bool recovery_notice = true;
  std::string min_severity = "degraded";
  std::chrono::milliseconds max_notify_age{std::chrono::minutes{5}};
  std::chrono::milliseconds tick_interval{1000};  // escalation/reminder/silence resolution
};

}  // namespace vitals::hub::alerts
