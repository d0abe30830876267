#pragma once
// What a reload changes (pure: two validated configs in, a plan out). Checks with the same name
// and definition are kept with their state and schedule; changed checks are stopped and started
// fresh; new ones start; removed ones stop. Settings other than the checks take effect at the
// next start: restart_only names the ones that differ.
#include <string>
#include <vector>

#include "agent/config/agent_config.hpp"

namespace vitals::agent {

struct ReloadPlan {
  std::vector<std::string> keep;
  std::vector<const CheckConfig*> start;  // points into `next`; changed checks are also in stop
  std::vector<std::string> stop;
  std::vector<std::string> restart_only;  // top-level keys that changed
};

ReloadPlan planReload(const AgentConfig& running, const AgentConfig& next);

}  // namespace vitals::agent
