#include "agent/probe/probe_registry.hpp"

namespace vitals::agent {

void ProbeRegistry::add(std::string kind, Factory factory) {
  factories_[std::move(kind)] = std::move(factory);
}

bool ProbeRegistry::knows(const std::string& kind) const { return factories_.count(kind) != 0; }

std::vector<std::string> ProbeRegistry::kinds() const {
  std::vector<std::string> out;
  for (const auto& [kind, f] : factories_) {
    out.push_back(kind);
  }
  return out;
}

Result<std::unique_ptr<Probe>> ProbeRegistry::create(const CheckConfig& check) const {
  auto it = factories_.find(check.kind);
  if (it == factories_.end()) {
    return Error{"probe.unknown_kind", "no probe for kind " + check.kind, "check " + check.name};
  }
  return it->second(check);
}

}  // namespace vitals::agent
