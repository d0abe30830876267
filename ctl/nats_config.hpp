#pragma once
// `vitalsctl nats-config`: generates the nats-server `authorization { users: [...] }` block that
// gives every agent its own identity (it may publish only vitals.agent.<id>.> and receive only
// vitals.cmd.<id>.> and its own reply inbox) and the hub the rights it needs. Passwords are
// random, written to one file per identity (the agent's/hub's nats.password_file), and only
// their bcrypt hashes go into the server config. See docs/security.md.
#include <array>
#include <functional>
#include <utility>
#include <ostream>
#include <string>
#include <vector>

#include "common/error/result.hpp"

namespace vitals::ctl {

struct NatsConfigRequest {
  std::vector<std::string> agents;  // agent ids (= NATS user names)
  std::string hub_user = "hub";
  std::string hub_id = "hub-main";  // the hub's inbox is _INBOX_<hub_id> (its default prefix)
  std::string stream = "VITALS";
  std::string secrets_dir;          // where <user>.password files go; required by the CLI
  bool nkeys = false;               // --auth nkey: NKEY identities instead of passwords
  // --event-sources: senders of inbound events, each allowed vitals.events.<source> only.
  std::vector<std::string> event_sources;
};

struct NatsIdentity {
  std::string user;
  std::string password;       // plain text: goes only into the secrets file
  std::string password_hash;  // bcrypt: goes into the server config
  std::string nkey_public;    // --auth nkey: "U..." (server config and the client's nats.nkey)
  std::string nkey_seed;      // --auth nkey: "SU..." (only the secrets file)
};

struct NatsConfigOutput {
  std::string authorization;  // the nats-server config block
  std::vector<NatsIdentity> identities;
};

// Seams: secret bytes and hashing (tests inject deterministic ones).
struct NatsConfigDeps {
  std::function<std::string()> new_password;  // a fresh random password
  std::function<Result<std::string>(const std::string&)> hash_password;
  // A fresh NKEY user key pair: {public "U...", seed "SU..."}.
  std::function<Result<std::pair<std::string, std::string>>()> new_nkey;
};
// getrandom() + bcrypt (libcrypt, cost 11) + Ed25519 NKEYs (OpenSSL).
NatsConfigDeps systemNatsConfigDeps();

// NKEY text encodings of a raw Ed25519 key (exposed for tests): base32 without padding of
// prefix byte(s) + key + CRC-16 (XMODEM, little endian), as the nkeys library does.
std::string encodeNkeyPublicUser(const std::array<unsigned char, 32>& public_key);
std::string encodeNkeySeedUser(const std::array<unsigned char, 32>& seed);

// Publish/subscribe permissions, also used by tests that check the generated block.
std::vector<std::string> agentPublishAllow(const std::string& agent);
std::vector<std::string> agentSubscribeAllow(const std::string& agent);
// The hub may publish on hub.* only its own hub.<hub_id>.> and hub.global.health.
std::vector<std::string> hubPublishAllow(const NatsConfigRequest& request);
std::vector<std::string> hubSubscribeAllow(const NatsConfigRequest& request);

Result<NatsConfigOutput> generateNatsConfig(const NatsConfigRequest& request,
                                            const NatsConfigDeps& deps);

// Parses `nats-config` arguments (argv after the subcommand), generates, writes the password
// files (mode 0600) and prints the block. Exit codes: 0 ok, 1 error, 2 usage.
int runNatsConfig(const std::vector<std::string>& args, const NatsConfigDeps& deps,
                  std::ostream& out, std::ostream& err);

extern const char* const kNatsConfigUsage;

}  // namespace vitals::ctl
