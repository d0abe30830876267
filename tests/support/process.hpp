#pragma once
// A child process owned by a test: started with argv (no shell), stdout/stderr to a log file,
// ended by PID on destruction. Its PID is also recorded in the fixture's pids/ dir so the
// fixture's cleanup can end it if the test binary itself dies.
#include <string>
#include <vector>

namespace vitals::test {

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::string log_path, std::string pid_dir = "");
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int pid() const { return pid_; }
  bool running();
  void signal(int sig);
  // Sends sig and waits for exit; returns the exit status (as from waitpid) or -1.
  int stop(int sig, int timeout_ms = 10000);
  // Waits for the process to exit by itself; returns its exit code, or -1 on timeout/signal.
  int waitExit(int timeout_ms);
  std::string log() const;

 private:
  int pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string log_path_;
  std::string pid_file_;
};

// Runs `cmd` with /bin/sh (stderr joined to stdout); returns its exit code (-1 when it did not
// exit normally) and, when asked, what it printed.
int shell(const std::string& cmd, std::string* output = nullptr);

}  // namespace vitals::test
