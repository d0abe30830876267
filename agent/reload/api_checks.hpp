#pragma once
// The checks managed through the hub's API (set-checks commands). Each arrives as the JSON of one
// `checks:` item and is read by the same loader as the config file (agent/config), with
// restrict_targets forced on and the file's target_allowlist; a literal address the SSRF guard
// blocks is refused at once (names are judged at every run). A check whose name belongs to the
// config file is refused: the file always wins. Every request carries the complete set, so
// applying it is idempotent: unchanged checks keep their state and schedule, changed ones
// restart, absent ones stop. Nothing is kept on disk: after a restart the hub sends the set
// again when the agent registers.
//
// Loop thread only.
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "agent/actions/command_handler.hpp"
#include "agent/config/config_loader.hpp"
#include "agent/config/reload_plan.hpp"
#include "agent/probe/probe_registry.hpp"
#include "agent/scheduler/probe_scheduler.hpp"

namespace spdlog {
class logger;
}

namespace vitals::agent {

class ApiChecks final : public CheckSetApplier {
 public:
  // After a set changed what runs: the number of checks now (the registration is sent again).
  using Changed = std::function<void(std::size_t checks)>;

  ApiChecks(ProbeScheduler& scheduler, const ProbeRegistry& probes,
            std::shared_ptr<const net::GuardPolicy> allowlist, LoadOptions options, Changed changed,
            std::shared_ptr<spdlog::logger> logger);
  ApiChecks(const ApiChecks&) = delete;
  ApiChecks& operator=(const ApiChecks&) = delete;

  std::vector<ApiCheckOutcome> apply(const std::vector<ApiCheckDef>& checks, bool dry_run) override;

  // Whether a running check came from the API (config reload leaves those alone).
  bool owns(const std::string& name) const { return owned_.count(name) != 0; }
  std::set<std::string> names() const;
  // A config reload now defines a check of this name: the API one stops (the file wins); the
  // hub's next set reports it refused.
  void displace(const std::string& name);

 private:
  struct Built {
    CheckConfig config;
    std::unique_ptr<Probe> probe;  // null: the check runs unchanged already
  };
  // The loaded check and its probe, or why not (the message names the key).
  Result<Built> build(const ApiCheckDef& def) const;

  ProbeScheduler& scheduler_;
  const ProbeRegistry& probes_;
  std::shared_ptr<const net::GuardPolicy> allowlist_;
  LoadOptions options_;
  Changed changed_;
  std::shared_ptr<spdlog::logger> logger_;
  std::map<std::string, DefinitionDigest> owned_;  // running API checks
};

}  // namespace vitals::agent
