#include "tests/support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "tests/support/fixture.hpp"

namespace vitals::test {

ChildProcess::ChildProcess(std::vector<std::string> argv, std::string log_path, std::string pid_dir)
    : log_path_(std::move(log_path)) {
  std::vector<char*> args;
  for (auto& a : argv) {
    args.push_back(a.data());
  }
  args.push_back(nullptr);
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    throw std::runtime_error("cannot open " + log_path_);
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::execv(args[0], args.data());
    std::perror("execv");
    ::_exit(127);
  }
  ::close(log_fd);
  if (pid_ < 0) {
    throw std::runtime_error("fork failed");
  }
  if (!pid_dir.empty()) {
    pid_file_ = pid_dir + "/" + std::to_string(pid_);
    writeFile(pid_file_, std::to_string(pid_));
  }
}

ChildProcess::~ChildProcess() {
  if (running()) {
    stop(SIGKILL, 5000);
  }
  if (!pid_file_.empty()) {
    std::filesystem::remove(pid_file_);
  }
}

bool ChildProcess::running() {
  if (reaped_ || pid_ <= 0) {
    return false;
  }
  const int r = ::waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    return false;
  }
  return true;
}

void ChildProcess::signal(int sig) {
  if (running()) {
    ::kill(pid_, sig);
  }
}

int ChildProcess::waitExit(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds{timeout_ms};
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
}

int ChildProcess::stop(int sig, int timeout_ms) {
  signal(sig);
  if (waitExit(timeout_ms) == -1 && running()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
    reaped_ = true;
  }
  return status_;
}

std::string ChildProcess::log() const { return readFile(log_path_); }

int shell(const std::string& cmd, std::string* output) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    return -1;
  }
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) {
    out.append(buf, n);
  }
  const int rc = ::pclose(p);
  if (output != nullptr) {
    *output = out;
  }
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace vitals::test
