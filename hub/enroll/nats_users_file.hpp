#pragma once
// The bus side of enrollment: the nats-server `authorization` block the hub owns, holding the
// hub's own NKEY identity, any static users the operator keeps in a file of their own, and one
// NKEY user per enrolled, unrevoked agent with exactly an agent's permissions. nats-server.conf
// includes it (`include vitals-users.conf`); after every change the hub writes it atomically
// (a temp file in the same folder, fsync, rename) and runs the configured reload command (an
// argv, never a shell), e.g. `nats-server --signal reload=/run/nats/nats.pid`. nats-server then
// closes the connections of users that are gone. Only public keys are in the file.
#include <chrono>
#include <string>
#include <vector>

#include "hub/enroll/enrollment.hpp"

namespace vitals::hub::enroll {

struct UsersFileSpec {
  std::string hub_id = "hub-main";
  std::string stream = "VITALS";
  std::string hub_nkey;      // the hub's own public key ("U..."); empty = no hub entry
  std::string static_users;  // text put verbatim inside `users: [...]` (may be empty)
};

// The whole file, deterministic for the same input (agents in id order).
std::string renderUsersFile(const UsersFileSpec& spec, const std::vector<EnrolledAgent>& agents);

// Writes `text` to `path` atomically with mode 0644 (public keys only).
Status writeFileAtomically(const std::string& path, const std::string& text);

// Runs argv (PATH lookup for argv[0]), waits up to `timeout`; ok on exit status 0. The child is
// killed at the timeout.
Status runCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

struct NatsUsersFileSettings {
  std::string path;                         // enrollment.nats_users_file
  std::vector<std::string> reload_command;  // enrollment.nats_reload_command (empty: none)
  std::string static_users_file;            // enrollment.nats_static_users_file (optional)
  UsersFileSpec spec;                       // hub id, stream, hub key
  std::chrono::milliseconds reload_timeout{10000};
};

class NatsUsersFile final : public IdentityPublisher {
 public:
  explicit NatsUsersFile(NatsUsersFileSettings settings) : settings_(std::move(settings)) {}
  // Renders, writes when the text changed (or was never written by this process) and reloads.
  Status publish(const std::vector<EnrolledAgent>& active) override;

 private:
  NatsUsersFileSettings settings_;
};

}  // namespace vitals::hub::enroll
