#pragma once
// `federation:` in hub.yaml (docs/configuration-hub.md, docs/federation.md).
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace vitals::hub::federation {

struct FederationSettings {
  bool enabled = false;
  std::chrono::milliseconds summary_interval{30000};
  std::chrono::milliseconds stale_after{90000};  // default: 3 x summary_interval
  std::string url;                               // this hub's API URL, announced to the others
  std::vector<std::string> alert_on;             // remote hub ids whose trouble opens incidents
  std::int64_t max_summary_bytes = 4 << 20;      // larger summaries are dropped ("oversized")
  std::chrono::milliseconds max_future{60000};   // timestamps further ahead: "future"
  std::chrono::milliseconds max_age{600000};     // older timestamps: "too_old"
};

}  // namespace vitals::hub::federation
