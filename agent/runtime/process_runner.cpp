#include "agent/runtime/process_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <thread>

extern char** environ;

namespace vitals::agent {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

// The environment for the child: ours, with request.env added or replacing.
std::vector<std::string> childEnvironment(const ProcessRequest& request) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    const bool replaced = std::any_of(request.env.begin(), request.env.end(),
                                      [&](const auto& kv) { return kv.first == name; });
    if (!replaced) {
      env.emplace_back(entry);
    }
  }
  for (const auto& [k, v] : request.env) {
    env.push_back(k + "=" + v);
  }
  return env;
}

// Reaps pid, waiting at most until deadline (returns false if it is still running).
bool reap(pid_t pid, int& wstatus, Clock& clock, SteadyTime deadline) {
  for (;;) {
    const pid_t r = ::waitpid(pid, &wstatus, WNOHANG);
    if (r == pid) {
      return true;
    }
    if (r < 0 && errno != EINTR) {
      return true;  // not our child any more: nothing to wait for
    }
    if (clock.steadyNow() >= deadline) {
      return false;
    }
    // The child closed its output but has not exited yet: poll briefly (worker thread).
    std::this_thread::sleep_for(milliseconds(5));
  }
}

}  // namespace

ProcessResult runProcess(const ProcessRequest& request, Clock& clock, milliseconds timeout) {
  ProcessResult result;
  const SteadyTime start = clock.steadyNow();
  const SteadyTime deadline = start + timeout;
  if (request.argv.empty()) {
    result.start_error = "no program given";
    return result;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    result.start_error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  int efds[2] = {-1, -1};
  if (request.separate_stderr && ::pipe2(efds, O_CLOEXEC) != 0) {
    result.start_error = std::string("pipe: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  ::posix_spawn_file_actions_adddup2(&actions, request.separate_stderr ? efds[1] : fds[1], 2);
  if (!request.working_dir.empty()) {
    ::posix_spawn_file_actions_addchdir_np(&actions, request.working_dir.c_str());
  }
  // Its own session (and process group), so a timeout can kill everything it started. Signals
  // the agent blocks or ignores are reset for the child.
  sigset_t none;
  sigset_t all;
  ::sigemptyset(&none);
  ::sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setsigdefault(&attr, &all);
  ::posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> env = childEnvironment(request);
  std::vector<char*> envp;
  for (auto& e : env) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  std::vector<std::string> args = request.argv;
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (efds[1] >= 0) {
    ::close(efds[1]);
  }
  if (rc != 0) {
    ::close(fds[0]);
    if (efds[0] >= 0) {
      ::close(efds[0]);
    }
    result.start_error = "cannot run " + request.argv[0] + ": " + std::strerror(rc);
    return result;
  }
  result.started = true;

  // Read until EOF (of every pipe) or the deadline; keep max_output bytes and drain the rest so
  // the child never blocks on a full pipe.
  char buf[4096];
  struct Sink {
    int fd;
    std::string* out;
    std::size_t max;
    bool* truncated;
  };
  bool error_truncated = false;
  std::vector<Sink> open_pipes{{fds[0], &result.output, request.max_output, &result.truncated}};
  if (efds[0] >= 0) {
    open_pipes.push_back(
        {efds[0], &result.error_output, request.max_error_output, &error_truncated});
  }
  while (!open_pipes.empty()) {
    const auto left = duration_cast<milliseconds>(deadline - clock.steadyNow()).count();
    if (left <= 0) {
      break;
    }
    pollfd p[2];
    for (std::size_t i = 0; i < open_pipes.size(); ++i) {
      p[i] = pollfd{open_pipes[i].fd, POLLIN, 0};
    }
    const int pr = ::poll(p, static_cast<nfds_t>(open_pipes.size()), static_cast<int>(left));
    if (pr < 0 && errno == EINTR) {
      continue;
    }
    if (pr <= 0) {
      break;
    }
    for (std::size_t i = open_pipes.size(); i-- > 0;) {
      if (p[i].revents == 0) {
        continue;
      }
      Sink& sink = open_pipes[i];
      const ssize_t n = ::read(sink.fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        ::close(sink.fd);
        open_pipes.erase(open_pipes.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      const std::size_t room = sink.max - std::min(sink.max, sink.out->size());
      sink.out->append(buf, std::min(room, static_cast<std::size_t>(n)));
      if (static_cast<std::size_t>(n) > room) {
        *sink.truncated = true;
      }
    }
  }
  const bool eof = open_pipes.empty();
  for (const Sink& sink : open_pipes) {
    ::close(sink.fd);
  }

  int wstatus = 0;
  if (!eof || !reap(pid, wstatus, clock, deadline)) {
    result.timed_out = true;
    ::killpg(pid, SIGKILL);
    ::kill(pid, SIGKILL);  // in case setsid failed and it is not a group leader
    while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
  } else if (WIFEXITED(wstatus)) {
    result.exit_code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    result.signal = WTERMSIG(wstatus);
  }
  if (!result.timed_out) {
    // Anything it left running in its group goes with it.
    ::killpg(pid, SIGKILL);
  }
  result.duration = duration_cast<microseconds>(clock.steadyNow() - start);
  return result;
}

}  // namespace vitals::agent
