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
#include "agent/runtime/work_queue.hpp"
#include "common/time/clock.hpp"

namespace vitals::agent {

struct ProcessRequest {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;  // added to / overriding ours
  std::string working_dir;                                // empty: ours
  std::size_t max_output = 4096;
};

struct ProcessResult {
  bool started = false;
  std::string start_error;  // why it did not start
  bool timed_out = false;   // killed (with its process group) at the deadline
  int exit_code = -1;       // when it exited normally
  int signal = 0;           // when a signal ended it
  std::string output;       // stdout and stderr interleaved, at most max_output bytes
  bool truncated = false;
  std::chrono::microseconds duration{0};
};

// Blocking: runs the process to completion or the timeout (then SIGKILLs its process group and
// reaps it). Safe to call from several worker threads.
ProcessResult runProcess(const ProcessRequest& request, Clock& clock,
                         std::chrono::milliseconds timeout);

// Pure: a Nagios plugin's exit and output as an outcome. 0 healthy, 1 degraded, 2 down,
// 3 (and anything else) unknown; the first line up to '|' is the message; perfdata (after '|'
// on any line) goes to details["perfdata"]; later lines to details["long_output"].
ProbeOutcome evaluatePluginResult(const ProcessResult& result);

std::unique_ptr<Probe> makeExecProbe(ExecCheckSpec spec, Clock& clock, WorkQueue& queue);

}  // namespace vitals::agent
