#include "agent/probe/builtin_probes.hpp"

#include "agent/probe/container_probe.hpp"
#include "agent/probe/disk_probe.hpp"
#include "agent/probe/exec_probe.hpp"
#include "agent/probe/http_probe.hpp"
#include "agent/probe/log_probe.hpp"
#include "agent/probe/postgres_probe.hpp"
#include "agent/probe/redis_probe.hpp"
#include "agent/probe/scan_probe.hpp"
#include "agent/probe/systemd_probe.hpp"
#include "agent/probe/tcp_probe.hpp"

namespace vitals::agent {
namespace {

// Registers kind with a factory taking its spec type.
template <typename Spec, typename Make>
void addKind(ProbeRegistry& registry, const std::string& kind, Make make) {
  registry.add(kind, [kind, make](const CheckConfig& check) -> Result<std::unique_ptr<Probe>> {
    const auto* spec = std::get_if<Spec>(&check.spec);
    if (spec == nullptr) {
      return Error{"probe.config", "check is not a " + kind + " check", "check " + check.name};
    }
    return make(check, *spec);
  });
}

}  // namespace

bool usesWorkerPool(const std::string& kind) {
  return kind != "http" && kind != "tcp" && kind != "heartbeat";
}

void registerBuiltinProbes(ProbeRegistry& registry, ProbeDeps deps) {
  addKind<HttpCheckSpec>(registry, "http",
                         [deps, tls = makeTlsContexts()](const CheckConfig&, const HttpCheckSpec& s) {
                           return makeHttpProbe(deps.io, deps.clock, tls, s);
                         });
  addKind<TcpCheckSpec>(registry, "tcp", [deps](const CheckConfig&, const TcpCheckSpec& s) {
    return makeTcpProbe(deps.io, deps.clock, s);
  });
  addKind<PostgresCheckSpec>(registry, "postgres",
                             [deps](const CheckConfig&, const PostgresCheckSpec& s) {
                               return makePostgresProbe(s, deps.clock, deps.blocking);
                             });
  addKind<RedisCheckSpec>(registry, "redis", [deps](const CheckConfig&, const RedisCheckSpec& s) {
    return makeRedisProbe(s, deps.clock, deps.blocking);
  });
  addKind<ContainerCheckSpec>(registry, "container",
                              [deps](const CheckConfig&, const ContainerCheckSpec& s) {
                                return makeContainerProbe(s, deps.clock, deps.blocking);
                              });
  addKind<ExecCheckSpec>(registry, "exec", [deps](const CheckConfig&, const ExecCheckSpec& s) {
    return makeExecProbe(s, deps.clock, deps.blocking);
  });
  addKind<ScanCheckSpec>(registry, "scan", [deps](const CheckConfig&, const ScanCheckSpec& s) {
    return makeScanProbe(s, deps.clock, deps.blocking);
  });
  addKind<DiskCheckSpec>(registry, "disk", [deps](const CheckConfig&, const DiskCheckSpec& s) {
    return makeDiskProbe(s, deps.clock, deps.blocking);
  });
  addKind<LogCheckSpec>(registry, "log", [deps](const CheckConfig&, const LogCheckSpec& s) {
    return makeLogProbe(s, deps.clock, deps.blocking);
  });
  addKind<SystemdCheckSpec>(registry, "systemd",
                            [deps](const CheckConfig&, const SystemdCheckSpec& s) {
                              return makeSystemdProbe(s, deps.clock, deps.blocking);
                            });
  addKind<HeartbeatCheckSpec>(registry, "heartbeat",
                              [deps](const CheckConfig& check, const HeartbeatCheckSpec& s) {
                                return makeHeartbeatProbe(check.name, s, deps.heartbeats, deps.io,
                                                          deps.clock);
                              });
}

}  // namespace vitals::agent
