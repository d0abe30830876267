#pragma once
// Runs a program (argv, no shell) in its own session and process group, with captured and capped
// output and a timeout that kills the whole group. Shared by the exec probe and repair actions.
#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "common/time/clock.hpp"

namespace vitals::agent {

struct ProcessRequest {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;  // added to / overriding ours
  std::string working_dir;                                // empty: ours
  std::size_t max_output = 4096;
  // false: stderr goes to `output` with stdout, interleaved. true: to `error_output`, at most
  // max_error_output bytes (a program whose stdout is data, such as a scanner's JSON report).
  bool separate_stderr = false;
  std::size_t max_error_output = 4096;
};

struct ProcessResult {
  bool started = false;
  std::string start_error;   // why it did not start
  bool timed_out = false;    // killed (with its process group) at the deadline
  int exit_code = -1;        // when it exited normally
  int signal = 0;            // when a signal ended it
  std::string output;        // stdout and stderr interleaved, at most max_output bytes
  bool truncated = false;    // output was cut at max_output (the rest was read and dropped)
  std::string error_output;  // stderr when separate_stderr, at most max_error_output bytes
  std::chrono::microseconds duration{0};
};

// Blocking: runs the process to completion or the timeout (then SIGKILLs its process group and
// reaps it). Safe to call from several worker threads.
ProcessResult runProcess(const ProcessRequest& request, Clock& clock,
                         std::chrono::milliseconds timeout);

}  // namespace vitals::agent
