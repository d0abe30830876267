#pragma once
// container: state, health and restart count of one container from the Docker Engine API
// (GET /containers/{name}/json) on a unix socket. Works with Docker and with Podman's
// Docker-compatible service. The request is a small blocking HTTP/1.0 exchange on the worker
// pool.
#include <memory>
#include <string>
#include <string_view>

#include "agent/config/kind_specs.hpp"
#include "agent/probe/probe.hpp"
#include "agent/runtime/work_queue.hpp"
#include "common/error/result.hpp"
#include "common/time/clock.hpp"

namespace vitals::agent {

// Pure: judges an inspect answer (HTTP status and body) against the spec.
//   running + healthy or no health check -> healthy; running + unhealthy -> unhealthy_status;
//   running + starting -> starting_status; paused -> degraded; restarting -> unhealthy_status;
//   exited/dead/created -> down (with the exit code); RestartCount above max_restarts -> at
//   least degraded. A missing Health and Podman's Health{Status:""} both mean "no health check".
ProbeOutcome evaluateContainerInspect(const ContainerCheckSpec& spec, int http_status,
                                      std::string_view body);

struct UnixHttpReply {
  int status = 0;
  std::string body;
};
// Blocking: one HTTP/1.0 GET over a unix socket (Connection: close; chunked bodies decoded).
Result<UnixHttpReply> unixHttpGet(const std::string& socket, const std::string& path,
                                  Clock& clock, SteadyTime deadline);

std::unique_ptr<Probe> makeContainerProbe(ContainerCheckSpec spec, Clock& clock,
                                          WorkQueue& queue);

}  // namespace vitals::agent
