#include "agent/reload/config_reloader.hpp"

#include <spdlog/spdlog.h>

#include "agent/config/reload_plan.hpp"

namespace vitals::agent {

ConfigReloader::ConfigReloader(std::string source, AgentConfig& running, ProbeScheduler& scheduler,
                               const ProbeRegistry& probes, Load load, Applied applied,
                               metrics::Registry& metrics, std::shared_ptr<spdlog::logger> logger)
    : source_(std::move(source)),
      running_(running),
      scheduler_(scheduler),
      probes_(probes),
      load_(std::move(load)),
      applied_(std::move(applied)),
      last_success_(metrics.gauge("vitals_config_last_reload_success",
                                  "1 when the last configuration reload succeeded (or none was "
                                  "tried), 0 when it was refused")),
      logger_(std::move(logger)) {
  last_success_.set(1);
}

void ConfigReloader::refuse(const std::string& why) {
  last_success_.set(0);
  logger_->error(
      "reload refused: {}; keeping the running configuration "
      "(vitals_config_last_reload_success 0)",
      why);
}

bool ConfigReloader::reload() {
  config::Problems problems;
  auto next = load_(problems);
  if (!next) {
    refuse(std::to_string(problems.list().size()) + " problem(s) in " + source_);
    for (const auto& p : problems.list()) {
      logger_->error("reload: {}", p.format());
    }
    return false;
  }
  std::vector<RunningCheck> from_file = scheduler_.runningChecks();
  if (api_ != nullptr) {
    std::erase_if(from_file, [this](const RunningCheck& c) { return api_->owns(c.name); });
  }
  const ReloadPlan plan = planReload(running_, from_file, *next);
  // Every probe is built before anything changes: a check that cannot start refuses the reload.
  std::vector<std::unique_ptr<Probe>> probes;
  probes.reserve(plan.start.size());
  for (const CheckConfig* c : plan.start) {
    auto probe = probes_.create(*c);
    if (!probe.ok()) {
      refuse("check " + c->name + ": " + probe.error().describe());
      return false;
    }
    probes.push_back(std::move(probe.value()));
  }
  for (const auto& name : plan.restart_only) {
    logger_->warn("reload: {} changed; it takes effect at the next start", name);
  }
  for (const auto& name : plan.stop) {
    scheduler_.remove(name);
  }
  for (const CheckConfig* c : plan.start) {
    if (api_ != nullptr && api_->owns(c->name)) {
      api_->displace(c->name);
    }
  }
  for (std::size_t i = 0; i < plan.start.size(); ++i) {
    scheduler_.add(scheduledCheck(*plan.start[i]), std::move(probes[i]));
  }
  logger_->info(
      "config reloaded from {}: {} checks kept, {} started, {} stopped (changed checks "
      "count as stopped and started)",
      source_, plan.keep.size(), plan.start.size(), plan.stop.size());
  // Only the checks and the registration change; the other settings stay as started.
  running_.config_hash = next->config_hash;
  running_.include_files = next->include_files;
  last_success_.set(1);
  if (applied_) {
    applied_(scheduler_.size(), running_.config_hash);
  }
  return true;
}

}  // namespace vitals::agent
