#pragma once
// The `nats:` section both binaries share: one settings value, one strict reader (problems with
// file:line: nats.<key>) and one translation into the client's ConnectOptions.
//
//   nats:
//     url: tls://nats-1:4222,tls://nats-2:4222   # nats://, tls://, ws:// or wss://
//     user: hub                                  # or credentials_file, or nkey + nkey_seed_file
//     password_file: /run/secrets/nats-password
//     inbox_prefix: _INBOX_hub-main               # default "_INBOX_<identity>"
//     tls: {ca_file: ..., cert_file: ..., key_file: ..., server_name: ...}
#include <functional>
#include <optional>
#include <string>

#include "common/error/result.hpp"

// Light on purpose (agent_config.hpp includes it): yaml-cpp and the client stay out.
namespace vitals::config {
class YamlReader;
}

namespace vitals::nats {

struct ConnectOptions;

struct NatsSettings {
  std::string url = "nats://127.0.0.1:4222";  // comma-separated for a cluster
  std::string credentials_file;               // .creds file; empty: none
  std::string user;                           // empty: none
  std::string password_file;                  // never inline in the YAML
  std::string password;  // secret, never logged: read from password_file or the env
  std::string nkey;      // NKEY public key ("U..."); with nkey_seed_file
  std::string nkey_seed_file;
  std::string inbox_prefix;  // empty: "_INBOX_<identity>" (see docs/security.md)
  std::string tls_ca_file;   // tls.* : any set (or a tls:// URL) turns TLS on
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_server_name;
};

// Where the reader looks outside the YAML; injected so tests need neither files nor env.
struct NatsSources {
  // Whether a file named in the section can be read (credentials, seed, TLS files). An error's
  // message is added to the problem. Required.
  std::function<Status(const std::string& path)> readable;
  // Reads password_file at load time into `password` (trimming is the reader's job). Empty: the
  // file is only checked with `readable` and read when connecting (toConnectOptions).
  std::function<Result<std::string>(const std::string& path)> read_secret;
  // Environment lookup for VITALS_NATS_PASSWORD (used when there is no password_file). Empty:
  // the variable is not consulted.
  std::function<std::optional<std::string>(const std::string& name)> env;
};

// Reads root's `nats:` mapping into `out` (defaults when there is none) and reports every
// problem on `root`'s problem list. `extra` reads keys only one binary has (before the
// unknown-key check).
void readNatsSection(config::YamlReader& root, const NatsSources& sources, NatsSettings& out,
                     const std::function<void(config::YamlReader& section)>& extra = {});

// True for a comma-separated list of nats://, tls://, ws:// or wss:// URLs, each with a host.
bool validNatsUrlList(const std::string& list);

// The client options: `client_name` shows in the server's connz; `identity` (agent or hub id)
// makes the default inbox prefix "_INBOX_<identity>", so the server can keep identities from
// reading each other's replies. A password_file not read at load time is read with
// `read_secret`; an unreadable one is an error. Callbacks are left for the caller to set.
Result<ConnectOptions> toConnectOptions(
    const NatsSettings& settings, const std::string& client_name, const std::string& identity,
    const std::function<Result<std::string>(const std::string& path)>& read_secret = {});

}  // namespace vitals::nats
