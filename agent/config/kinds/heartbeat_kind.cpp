// kind: heartbeat — see docs/configuration-agent.md "kind: heartbeat".
#include "agent/config/kinds/kind_readers.hpp"

namespace vitals::agent::kinds {

void readHeartbeat(config::YamlReader& c, const LoadOptions&, CheckConfig& check) {
  using namespace std::chrono_literals;
  HeartbeatCheckSpec spec;
  if (auto ttl = c.duration("ttl", 1s, 30 * 24h)) {
    spec.ttl = *ttl;
  } else if (!c.has("ttl")) {
    c.problem("ttl", "is required for kind heartbeat");
  }
  check.spec = std::move(spec);
}

}  // namespace vitals::agent::kinds
