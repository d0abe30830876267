#pragma once
// Builds the configured checks (preflight.checks) from what the hub has. The composition root
// fills CheckDeps; tests can fill it with lambdas.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hub/preflight/check.hpp"
#include "hub/preflight/checks.hpp"
#include "hub/preflight/preflight_settings.hpp"

namespace vitals::hub::preflight {

struct CheckDeps {
  const state::HubState* state = nullptr;
  AgentLister agents;
  std::function<Result<std::vector<int>>()> applied_migrations;
  std::vector<int> known_migrations;
  std::function<Status()> stream_probe;    // the /readyz "stream" probe
  std::function<Status()> database_probe;  // the /readyz "database" probe
  // A fresh notifier for a configured channel (notifier_test).
  std::function<std::unique_ptr<notify::Notifier>(const std::string& channel)> notifier;
  std::string hub_id;
  const Clock* clock = nullptr;
  std::chrono::milliseconds default_max_skew{30000};  // staleness.clock_skew_threshold
};

std::unique_ptr<PreflightCheck> makeCheck(const CheckSpec& spec, const CheckDeps& deps);

}  // namespace vitals::hub::preflight
