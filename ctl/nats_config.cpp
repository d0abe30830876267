#include "ctl/nats_config.hpp"

#include <crypt.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "common/nats/auth_block.hpp"
#include "common/nats/nkeys.hpp"
#include "common/nats/subjects.hpp"

namespace vitals::ctl {
namespace {

std::vector<std::string> splitCommas(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (!part.empty()) {
      out.push_back(part);
    }
  }
  return out;
}

void writeUser(std::ostream& o, const std::string& comment, const NatsIdentity& id,
               const std::vector<std::string>& pub, const std::vector<std::string>& sub,
               bool allow_responses) {
  nats_auth::writeUserEntry(
      o, {comment, id.user, id.password_hash, id.nkey_public, pub, sub, allow_responses});
}

Status writeSecret(const std::string& path, const std::string& secret) {
  const mode_t old = ::umask(077);
  std::ofstream f(path, std::ios::trunc);
  f << secret << "\n";
  f.close();
  ::umask(old);
  if (!f) {
    return Error{"nats_config.write", "cannot write " + path + ": " + std::strerror(errno), {}};
  }
  ::chmod(path.c_str(), 0600);
  return okStatus();
}

}  // namespace

// What the hub does on the bus: JetStream stream/consumer management and fetch (the API),
// acks, commands to agents (request/reply), inbound events, and on hub.*: only its own
// hub.<hub_id>.> subjects and hub.global.health (federation: no hub can speak for another),
// while it hears every hub's; and its replica group's state sync (the group defaults to the
// hub id; replicas of one site share the identity).
std::vector<std::string> hubPublishAllow(const NatsConfigRequest& r) {
  return nats_auth::hubPublishAllow(r.hub_id, r.stream);
}
std::vector<std::string> hubSubscribeAllow(const NatsConfigRequest& r) {
  return nats_auth::hubSubscribeAllow(r.hub_id);
}

std::string encodeNkeyPublicUser(const std::array<unsigned char, 32>& public_key) {
  return nkeys::encodePublicUser(public_key);
}

std::string encodeNkeySeedUser(const std::array<unsigned char, 32>& seed) {
  return nkeys::encodeSeedUser(seed);
}

const char* const kNatsConfigUsage =
    "usage: vitalsctl nats-config --agents ID[,ID...] --secrets-dir DIR\n"
    "                             [--hub-user USER] [--hub-id HUB_ID] [--stream NAME]\n"
    "                             [--auth password|nkey] [--event-sources SRC[,SRC...]]\n"
    "  Prints a nats-server `authorization` block with one identity per agent and one for the\n"
    "  hub, and writes a random password for each to DIR/<user>.password (mode 0600). Only\n"
    "  bcrypt hashes go into the printed block. Point each agent's nats.password_file (and the\n"
    "  hub's) at its file. --event-sources adds identities that may only publish inbound events\n"
    "  on vitals.events.<source> (and read their replies). With --auth nkey, each identity is an "
    "NKEY instead: DIR/<user>.nk\n"
    "  holds the seed (nats.nkey_seed_file) and DIR/<user>.pub the public key (nats.nkey).\n"
    "  See docs/security.md.\n";

std::vector<std::string> agentPublishAllow(const std::string& agent) {
  return nats_auth::agentPublishAllow(agent);
}

std::vector<std::string> agentSubscribeAllow(const std::string& agent) {
  return nats_auth::agentSubscribeAllow(agent);
}

NatsConfigDeps systemNatsConfigDeps() {
  NatsConfigDeps d;
  d.new_password = [] {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char bytes[32];
    std::size_t got = 0;
    while (got < sizeof(bytes)) {
      const ssize_t n = ::getrandom(bytes + got, sizeof(bytes) - got, 0);
      if (n > 0) {
        got += static_cast<std::size_t>(n);
      }
    }
    std::string out;
    for (unsigned char b : bytes) {
      out += kAlphabet[b % 62];  // 32 chars * log2(62) ~ 190 bits; the small bias is harmless
    }
    return out;
  };
  d.hash_password = [](const std::string& password) -> Result<std::string> {
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    if (::crypt_gensalt_rn("$2b$", 11, nullptr, 0, salt, sizeof(salt)) == nullptr) {
      return Error{"nats_config.bcrypt", "bcrypt salt: " + std::string(std::strerror(errno)), {}};
    }
    crypt_data data{};
    const char* hash = ::crypt_r(password.c_str(), salt, &data);
    if (hash == nullptr || hash[0] != '$') {
      return Error{"nats_config.bcrypt", "bcrypt is not available in libcrypt", {}};
    }
    return std::string(hash);
  };
  d.new_nkey = []() -> Result<std::pair<std::string, std::string>> {
    auto pair = nkeys::newUserKeyPair();
    if (!pair.ok()) {
      return Error{"nats_config.nkey", pair.error().message, {}};
    }
    return std::pair{pair->public_key, pair->seed};
  };
  return d;
}

Result<NatsConfigOutput> generateNatsConfig(const NatsConfigRequest& r,
                                            const NatsConfigDeps& deps) {
  if (r.agents.empty()) {
    return Error{"nats_config.usage", "--agents needs at least one agent id", {}};
  }
  std::set<std::string> seen;
  for (const auto& user : r.agents) {
    if (!subjects::isValidToken(user)) {
      return Error{"nats_config.usage",
                   "agent id \"" + user + "\" must be 1-128 characters of A-Z a-z 0-9 _ -",
                   {}};
    }
    if (!seen.insert(user).second) {
      return Error{"nats_config.usage", "agent id \"" + user + "\" is listed twice", {}};
    }
  }
  for (const auto& [what, value] : {std::pair<std::string, std::string>{"--hub-user", r.hub_user},
                                    {"--hub-id", r.hub_id},
                                    {"--stream", r.stream}}) {
    if (!subjects::isValidToken(value)) {
      return Error{"nats_config.usage",
                   what + " \"" + value + "\" must be 1-128 characters of A-Z a-z 0-9 _ -",
                   {}};
    }
  }
  if (seen.count(r.hub_user) != 0) {
    return Error{"nats_config.usage", "--hub-user \"" + r.hub_user + "\" is also an agent id", {}};
  }
  seen.insert(r.hub_user);
  for (const auto& source : r.event_sources) {
    if (!subjects::isValidToken(source)) {
      return Error{"nats_config.usage",
                   "event source \"" + source + "\" must be 1-128 characters of A-Z a-z 0-9 _ -",
                   {}};
    }
    if (!seen.insert(source).second) {
      return Error{"nats_config.usage",
                   "event source \"" + source + "\" is already an agent, the hub or listed twice",
                   {}};
    }
  }

  NatsConfigOutput out;
  auto identity = [&](const std::string& user) -> Result<NatsIdentity> {
    if (r.nkeys) {
      auto pair = deps.new_nkey();
      if (!pair.ok()) {
        return pair.error();
      }
      NatsIdentity id;
      id.user = user;
      id.nkey_public = pair->first;
      id.nkey_seed = pair->second;
      return id;
    }
    NatsIdentity id{user, deps.new_password(), {}, {}, {}};
    auto hash = deps.hash_password(id.password);
    if (!hash.ok()) {
      return hash.error();
    }
    id.password_hash = hash.value();
    return id;
  };

  std::ostringstream o;
  o << "# Generated by `vitalsctl nats-config`. Include it in nats-server.conf. Each agent may\n"
       "# publish only vitals.agent.<id>.> and receive only vitals.cmd.<id>.> and its reply\n"
       "# inbox _INBOX_<id>.>; nothing on $SYS or the JetStream API.\n"
    << (r.nkeys ? "# Identities are NKEY public keys; the seeds are in the <user>.nk files.\n"
                : "# Passwords are bcrypt hashes; the plain passwords are in the <user>.password "
                  "files.\n");
  o << "authorization {\n";
  o << "  users: [\n";
  auto hub = identity(r.hub_user);
  if (!hub.ok()) {
    return hub.error();
  }
  // allow_responses: the hub answers inbound-event requests on the sender's reply subject.
  writeUser(o, "hub " + r.hub_id + ": JetStream consumer, commands, hub.* subjects", hub.value(),
            hubPublishAllow(r), hubSubscribeAllow(r), true);
  out.identities.push_back(hub.value());
  for (const auto& agent : r.agents) {
    auto id = identity(agent);
    if (!id.ok()) {
      return id.error();
    }
    writeUser(o, "agent " + agent, id.value(), agentPublishAllow(agent), agentSubscribeAllow(agent),
              true);
    out.identities.push_back(id.value());
  }
  for (const auto& source : r.event_sources) {
    auto id = identity(source);
    if (!id.ok()) {
      return id.error();
    }
    writeUser(o, "event source " + source, id.value(), {"vitals.events." + source},
              {"_INBOX_" + source + ".>"}, false);
    out.identities.push_back(id.value());
  }
  o << "  ]\n";
  o << "}\n";
  out.authorization = o.str();
  return out;
}

int runNatsConfig(const std::vector<std::string>& args, const NatsConfigDeps& deps,
                  std::ostream& out, std::ostream& err) {
  NatsConfigRequest r;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      out << kNatsConfigUsage;
      return 0;
    }
    if (i + 1 >= args.size()) {
      err << "vitalsctl nats-config: unknown or incomplete option \"" << a << "\"\n"
          << kNatsConfigUsage;
      return 2;
    }
    const std::string& v = args[++i];
    if (a == "--agents") {
      r.agents = splitCommas(v);
    } else if (a == "--hub-user") {
      r.hub_user = v;
    } else if (a == "--hub-id") {
      r.hub_id = v;
    } else if (a == "--stream") {
      r.stream = v;
    } else if (a == "--secrets-dir") {
      r.secrets_dir = v;
    } else if (a == "--event-sources") {
      r.event_sources = splitCommas(v);
    } else if (a == "--auth" && (v == "password" || v == "nkey")) {
      r.nkeys = v == "nkey";
    } else {
      err << "vitalsctl nats-config: unknown option \"" << a << "\"\n" << kNatsConfigUsage;
      return 2;
    }
  }
  if (r.secrets_dir.empty()) {
    err << "vitalsctl nats-config: --secrets-dir is required (passwords are never printed)\n"
        << kNatsConfigUsage;
    return 2;
  }
  auto generated = generateNatsConfig(r, deps);
  if (!generated.ok()) {
    err << "vitalsctl nats-config: " << generated.error().message << "\n";
    return generated.error().code == "nats_config.usage" ? 2 : 1;
  }
  struct stat st {};
  if (::stat(r.secrets_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    err << "vitalsctl nats-config: --secrets-dir \"" << r.secrets_dir << "\" is not a directory\n";
    return 1;
  }
  for (const auto& id : generated->identities) {
    const std::string base = r.secrets_dir + "/" + id.user;
    auto w = r.nkeys ? writeSecret(base + ".nk", id.nkey_seed)
                     : writeSecret(base + ".password", id.password);
    if (w.ok() && r.nkeys) {
      w = writeSecret(base + ".pub", id.nkey_public);  // not secret; 0600 does no harm
    }
    if (!w.ok()) {
      err << "vitalsctl nats-config: " << w.error().message << "\n";
      return 1;
    }
  }
  out << generated->authorization;
  return 0;
}

}  // namespace vitals::ctl
