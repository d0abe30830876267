#include "hub/preflight/check_factory.hpp"

namespace vitals::hub::preflight {

std::unique_ptr<PreflightCheck> makeCheck(const CheckSpec& spec, const CheckDeps& deps) {
  switch (spec.kind) {
    case CheckKind::ServiceStatus:
      return std::make_unique<ServiceStatusCheck>(*deps.state, spec.services, spec.accept);
    case CheckKind::AgentsOnline:
      return std::make_unique<AgentsOnlineCheck>(deps.agents, spec.min_agents);
    case CheckKind::MigrationsCurrent:
      return std::make_unique<MigrationsCurrentCheck>(deps.applied_migrations,
                                                      deps.known_migrations);
    case CheckKind::StreamPresent:
      return std::make_unique<ProbeCheck>(deps.stream_probe);
    case CheckKind::DatabaseReachable:
      return std::make_unique<ProbeCheck>(deps.database_probe);
    case CheckKind::NotifierTest:
      return std::make_unique<NotifierTestCheck>(deps.notifier(spec.channel), spec.channel,
                                                 deps.hub_id, *deps.clock, spec.resend_interval);
    case CheckKind::ClockSkew:
      return std::make_unique<ClockSkewCheck>(deps.agents,
                                              spec.max_skew.value_or(deps.default_max_skew));
  }
  return nullptr;
}

}  // namespace vitals::hub::preflight
