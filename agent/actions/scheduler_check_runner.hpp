#pragma once
// CheckRunner on the agent's ProbeScheduler.
#include "agent/actions/command_handler.hpp"
#include "agent/scheduler/probe_scheduler.hpp"

namespace vitals::agent {

class SchedulerCheckRunner final : public CheckRunner {
 public:
  explicit SchedulerCheckRunner(ProbeScheduler& scheduler) : scheduler_(scheduler) {}
  std::vector<std::string> checksOfService(const std::string& service) const override {
    return scheduler_.checksOfService(service);
  }
  bool runNow(const std::string& check, bool verbose, Done done) override {
    return scheduler_.runNow(check, verbose, std::move(done));
  }

 private:
  ProbeScheduler& scheduler_;
};

}  // namespace vitals::agent
