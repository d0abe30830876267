#include "agent/probe/builtin_probes.hpp"

#include "agent/probe/http_probe.hpp"
#include "agent/probe/tcp_probe.hpp"

namespace vitals::agent {

void registerBuiltinProbes(ProbeRegistry& registry, ProbeDeps deps) {
  registry.add("http", [deps](const CheckConfig& check) -> Result<std::unique_ptr<Probe>> {
    const auto* spec = std::get_if<HttpCheckSpec>(&check.spec);
    if (spec == nullptr) {
      return Error{"probe.config", "check is not an http check", "check " + check.name};
    }
    return std::unique_ptr<Probe>(std::make_unique<HttpProbe>(*spec, deps.clock, deps.blocking));
  });
  registry.add("tcp", [deps](const CheckConfig& check) -> Result<std::unique_ptr<Probe>> {
    const auto* spec = std::get_if<TcpCheckSpec>(&check.spec);
    if (spec == nullptr) {
      return Error{"probe.config", "check is not a tcp check", "check " + check.name};
    }
    return makeTcpProbe(deps.io, deps.clock, *spec);
  });
}

}  // namespace vitals::agent
