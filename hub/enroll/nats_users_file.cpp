#include "hub/enroll/nats_users_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/nats/auth_block.hpp"

extern char** environ;

namespace vitals::hub::enroll {
namespace {

Error fileError(const std::string& what, const std::string& path) {
  return Error{"enroll.users_file", what + " " + path + ": " + std::strerror(errno), {}};
}

}  // namespace

std::string renderUsersFile(const UsersFileSpec& spec, const std::vector<EnrolledAgent>& agents) {
  std::vector<const EnrolledAgent*> sorted;
  for (const auto& a : agents) {
    sorted.push_back(&a);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->agent_id < b->agent_id; });
  std::ostringstream o;
  o << "# Written by vitals-hub (enrollment): do not edit, the hub rewrites it after every\n"
       "# enrollment and revocation. Include it in nats-server.conf. Each agent may publish only\n"
       "# vitals.agent.<id>.> and receive only vitals.cmd.<id>.> and its reply inbox\n"
       "# _INBOX_<id>.>; nothing on $SYS or the JetStream API. Public keys only.\n";
  o << "authorization {\n";
  o << "  users: [\n";
  if (!spec.hub_nkey.empty()) {
    nats_auth::UserEntry hub;
    hub.comment = "hub " + spec.hub_id + ": JetStream consumer, commands, hub.* subjects";
    hub.user = "hub " + spec.hub_id;
    hub.nkey_public = spec.hub_nkey;
    hub.publish_allow = nats_auth::hubPublishAllow(spec.hub_id, spec.stream);
    hub.subscribe_allow = nats_auth::hubSubscribeAllow(spec.hub_id);
    hub.allow_responses = true;
    nats_auth::writeUserEntry(o, hub);
  }
  if (!spec.static_users.empty()) {
    o << "    # static users (enrollment.nats_static_users_file)\n" << spec.static_users;
    if (spec.static_users.back() != '\n') {
      o << "\n";
    }
  }
  for (const auto* a : sorted) {
    nats_auth::writeUserEntry(
        o, nats_auth::agentNkeyEntry(a->agent_id, a->nkey, "agent " + a->agent_id + " (enrolled)"));
  }
  o << "  ]\n";
  o << "}\n";
  return o.str();
}

Status writeFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fileError("cannot create", tmp);
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      auto e = fileError("cannot write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return e;
    }
    done += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, 0644);
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    auto e = fileError("cannot write", tmp);
    ::unlink(tmp.c_str());
    return e;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto e = fileError("cannot rename into", path);
    ::unlink(tmp.c_str());
    return e;
  }
  return okStatus();
}

Status runCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  if (argv.empty()) {
    return okStatus();
  }
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return Error{"enroll.reload",
                 "cannot run the reload command \"" + argv[0] + "\": " + std::strerror(rc),
                 {}};
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      break;
    }
    if (r < 0 && errno != EINTR) {
      return Error{"enroll.reload", std::string("waitpid: ") + std::strerror(errno), {}};
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return Error{"enroll.reload",
                   "the reload command \"" + argv[0] + "\" did not finish within " +
                       std::to_string(timeout.count()) + " ms (killed)",
                   {}};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return okStatus();
  }
  return Error{"enroll.reload",
               "the reload command \"" + argv[0] + "\" failed (" +
                   (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                      : "signal " + std::to_string(WTERMSIG(status))) +
                   ")",
               {}};
}

Status NatsUsersFile::publish(const std::vector<EnrolledAgent>& active) {
  UsersFileSpec spec = settings_.spec;
  if (!settings_.static_users_file.empty()) {
    std::ifstream in(settings_.static_users_file);
    if (!in) {
      return fileError("cannot read", settings_.static_users_file);
    }
    std::ostringstream text;
    text << in.rdbuf();
    spec.static_users = text.str();
  }
  if (auto s = writeFileAtomically(settings_.path, renderUsersFile(spec, active)); !s.ok()) {
    return s;
  }
  return runCommand(settings_.reload_command, settings_.reload_timeout);
}

}  // namespace vitals::hub::enroll
