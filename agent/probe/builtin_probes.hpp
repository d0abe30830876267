#pragma once
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
  WorkQueue& blocking;  // for probes that block (http)
};

// Registers "http" and "tcp".
void registerBuiltinProbes(ProbeRegistry& registry, ProbeDeps deps);

}  // namespace vitals::agent
