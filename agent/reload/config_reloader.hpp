#pragma once
// Reloads the agent's configuration (on SIGHUP): loads and validates the whole file (and its
// includes) first; then stops removed and changed checks, starts new and changed ones, and keeps
// unchanged ones (same name and definition) with their state and schedule. A refused reload (an
// invalid file, or a check whose probe cannot be built) changes nothing and says why.
// vitals_config_last_reload_success is 1 after a reload that applied (or before any), else 0.
//
// Memory: the loaded config lives only during reload(); the running side keeps the settings the
// agent started with (whose checks were dropped once the probes were built) and the scheduler's
// name and digest per check, which is what the plan compares.
//
// Loop thread only.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/config/agent_config.hpp"
#include "agent/probe/probe_registry.hpp"
#include "agent/reload/api_checks.hpp"
#include "agent/scheduler/probe_scheduler.hpp"
#include "common/config/yaml_reader.hpp"
#include "common/metrics/metrics.hpp"

namespace spdlog {
class logger;
}

namespace vitals::agent {

class ConfigReloader {
 public:
  // Loads and validates the configuration again (problems are collected, not thrown).
  using Load = std::function<std::optional<AgentConfig>(config::Problems& problems)>;
  // After an applied reload: the number of checks now and the new config hash.
  using Applied = std::function<void(std::size_t checks, const std::string& config_hash)>;

  // `running`: the settings the agent started with; their config_hash and include_files follow
  // applied reloads (the other settings take effect at the next start).
  ConfigReloader(std::string source, AgentConfig& running, ProbeScheduler& scheduler,
                 const ProbeRegistry& probes, Load load, Applied applied,
                 metrics::Registry& metrics, std::shared_ptr<spdlog::logger> logger);
  ConfigReloader(const ConfigReloader&) = delete;
  ConfigReloader& operator=(const ConfigReloader&) = delete;

  // True when the new configuration was applied; false when it was refused (logged).
  bool reload();

  // Checks managed through the hub's API: a reload neither stops nor compares them, and a file
  // check of the same name displaces one (the file wins).
  void setApiChecks(ApiChecks* api) { api_ = api; }

 private:
  void refuse(const std::string& why);

  std::string source_;
  AgentConfig& running_;
  ProbeScheduler& scheduler_;
  const ProbeRegistry& probes_;
  Load load_;
  Applied applied_;
  ApiChecks* api_ = nullptr;
  metrics::Gauge& last_success_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace vitals::agent
