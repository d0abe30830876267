#pragma once
// exec: runs a command (argv, no shell) in its own session with a timeout that kills its whole
// process group, and judges it by the Nagios/Monitoring-Plugins exit code convention.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/config/kind_specs.hpp"
#include "agent/probe/probe.hpp"
#include "agent/runtime/process_runner.hpp"
#include "agent/runtime/work_queue.hpp"
#include "common/time/clock.hpp"

namespace vitals::agent {

// Pure: a Nagios plugin's exit and output as an outcome. 0 healthy, 1 degraded, 2 down,
// 3 (and anything else) unknown; the first line up to '|' is the message; perfdata (after '|'
// on any line) goes to details["perfdata"]; later lines to details["long_output"].
ProbeOutcome evaluatePluginResult(const ProcessResult& result);

std::unique_ptr<Probe> makeExecProbe(ExecCheckSpec spec, Clock& clock, WorkQueue& queue);

}  // namespace vitals::agent
