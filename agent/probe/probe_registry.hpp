#pragma once
// Factories for probes by kind. Filled by registerBuiltinProbes() in the composition root (no
// static registration), so tests can register fakes.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/config/agent_config.hpp"
#include "agent/probe/probe.hpp"
#include "common/error/result.hpp"

namespace vitals::agent {

class ProbeRegistry {
 public:
  using Factory = std::function<Result<std::unique_ptr<Probe>>(const CheckConfig&)>;
  // Registers (or replaces) the factory for kind.
  void add(std::string kind, Factory factory);
  bool knows(const std::string& kind) const;
  std::vector<std::string> kinds() const;
  // Error "probe.unknown_kind" when no factory is registered for check.kind.
  Result<std::unique_ptr<Probe>> create(const CheckConfig& check) const;

 private:
  std::map<std::string, Factory> factories_;
};

}  // namespace vitals::agent
