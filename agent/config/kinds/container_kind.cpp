// kind: container — see docs/configuration-agent.md "kind: container".
#include "agent/config/kinds/kind_readers.hpp"

namespace vitals::agent::kinds {

void readContainer(config::YamlReader& c, const LoadOptions&, CheckConfig& check) {
  ContainerCheckSpec spec;
  if (auto name = c.str("container")) {
    const bool bad = name->empty() || name->find_first_of("/?#% \t") != std::string::npos;
    if (bad) {
      c.problem("container", "must be a container name or id, got \"" + *name + "\"");
    }
    spec.name = *name;
  } else {
    c.problem("container", "is required for kind container");
  }
  spec.socket = c.str("socket", spec.socket);
  if (spec.socket.empty() || spec.socket[0] != '/') {
    c.problem("socket", "must be an absolute path to a unix socket");
  }
  if (auto s = readStatus(c, "unhealthy_status", {HealthStatus::Degraded, HealthStatus::Down})) {
    spec.unhealthy_status = *s;
  }
  if (auto s = readStatus(c, "starting_status",
                          {HealthStatus::Healthy, HealthStatus::Degraded, HealthStatus::Down})) {
    spec.starting_status = *s;
  }
  if (auto m = c.integer("max_restarts", 0, 1000000)) {
    spec.max_restarts = static_cast<std::uint32_t>(*m);
  }
  check.spec = std::move(spec);
}

}  // namespace vitals::agent::kinds
