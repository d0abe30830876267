#pragma once
// `vitals-agent enroll`: joins this node to a hub with a one-time token, in one command.
//
//   vitals-agent enroll --hub https://hub:8443 --token ve_... [--agent-id ID]
//                       [--config /etc/vitals/agent.yaml] [--seed-file PATH] [--owner USER]
//                       [--ca-file PEM] [--insecure]
//
// It makes the agent's NKEY pair here (the seed never leaves the node), sends only the public
// key with the token to POST /api/v1/enroll, and writes the seed (mode 0600) and an agent config
// naming the hub's NATS URL and that key (0600), owned by --owner when given. Every check of the
// input comes before anything is sent, and the files appear only when the hub accepted: the
// seed goes to a temporary file first (proving the folder is writable) and both are renamed
// into place at the end, so a failure leaves nothing behind. docs/operations.md has the steps.
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "common/nats/nkeys.hpp"

namespace vitals::agent::enroll {

struct EnrollArgs {
  std::string hub_url;
  std::string token;
  std::string agent_id;  // default: the host name up to its first dot
  std::string config_path = "/etc/vitals/agent.yaml";
  std::string seed_path;  // default: <config without .yaml>.nk next to the config
  std::string owner;      // user (and its group) that will own the files; empty: this process
  std::string ca_file;    // CA for the hub's certificate; empty: the system store
  bool insecure = false;  // allows http:// to a loopback hub only
};

struct HttpAnswer {
  int status = 0;
  std::string body;
};

struct EnrollDeps {
  std::function<Result<nkeys::UserKeyPair>()> new_key;
  // POST `body` (JSON) to `url`; an error only when no answer came.
  std::function<Result<HttpAnswer>(const std::string& url, const std::string& body,
                                   const std::string& ca_file)>
      post;
  std::string hostname;
};

// The real key generator and HTTP(S) client (Beast over Asio SSL, certificate and host name
// verified).
EnrollDeps systemEnrollDeps(std::string hostname);

// Parses argv after "enroll". Usage errors name the option.
Result<EnrollArgs> parseEnrollArgs(const std::vector<std::string>& args);

// True for 127.0.0.0/8, ::1 and "localhost".
bool isLoopbackHost(const std::string& host);

// Exit codes: 0 enrolled, 1 refused or failed (nothing written), 2 usage.
int runEnroll(const std::vector<std::string>& args, const EnrollDeps& deps, std::ostream& out,
              std::ostream& err);

extern const char* const kEnrollUsage;

}  // namespace vitals::agent::enroll
