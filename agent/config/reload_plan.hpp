#pragma once
// What a reload changes (pure: two validated configs in, a plan out). Checks with the same name
// and definition are kept with their state and schedule; changed checks are stopped and started
// fresh; new ones start; removed ones stop. Settings other than the checks take effect at the
// next start: restart_only names the ones that differ.
//
// The running side needs only each check's name and a digest of its definition (RunningCheck):
// the agent drops its parsed CheckConfigs once the probes are built (about 1 KiB per check), and
// its scheduler keeps the digest of what each check runs.
#include <cstdint>
#include <string>
#include <vector>

#include "agent/config/agent_config.hpp"

namespace vitals::agent {

// A check's definition as far as reload is concerned: two independent 64-bit hashes and the
// length of the definition text. An empty definition never compares equal.
struct DefinitionDigest {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  std::size_t length = 0;
};
DefinitionDigest definitionDigest(const CheckConfig& check);
bool sameDefinition(const DefinitionDigest& x, const DefinitionDigest& y);

struct RunningCheck {
  std::string name;
  DefinitionDigest digest;
};
std::vector<RunningCheck> runningChecks(const AgentConfig& cfg);

struct ReloadPlan {
  std::vector<std::string> keep;
  std::vector<const CheckConfig*> start;  // points into `next`; changed checks are also in stop
  std::vector<std::string> stop;
  std::vector<std::string> restart_only;  // top-level keys that changed
};

// running: the settings the agent started with (its checks are not read); checks: what runs now.
ReloadPlan planReload(const AgentConfig& running, const std::vector<RunningCheck>& checks,
                      const AgentConfig& next);
// Same, with the running checks taken from running.checks.
ReloadPlan planReload(const AgentConfig& running, const AgentConfig& next);

}  // namespace vitals::agent
