#pragma once
#include "agent/probe/heartbeat_probe.hpp"
#include "agent/probe/probe_registry.hpp"
#include "agent/runtime/work_queue.hpp"
#include "common/time/clock.hpp"

namespace boost::asio {
class io_context;
}

namespace vitals::agent {

// What the built-in probes need; all must outlive the probes.
struct ProbeDeps {
  boost::asio::io_context& io;  // the loop (async probes)
  Clock& clock;
  WorkQueue& blocking;  // the shared worker pool for probes that block (postgres, exec, ...)
  HeartbeatBoard& heartbeats;  // pushes received by the HeartbeatListener
};

// Registers every kind: http, tcp, postgres, redis, container, exec, disk, log, systemd,
// heartbeat.
void registerBuiltinProbes(ProbeRegistry& registry, ProbeDeps deps);

// True for kinds whose runs occupy a worker of the blocking pool (sizing the pool).
bool usesWorkerPool(const std::string& kind);

}  // namespace vitals::agent
