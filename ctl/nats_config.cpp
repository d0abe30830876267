#include "ctl/nats_config.hpp"

#include <crypt.h>
#include <openssl/evp.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "common/nats/subjects.hpp"

namespace vitals::ctl {
namespace {

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? "" : ", ") + quoted(items[i]);
  }
  return out + "]";
}

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
  o << "    # " << comment << "\n";
  o << "    {\n";
  if (!id.nkey_public.empty()) {
    o << "      nkey: " << quoted(id.nkey_public) << "  # " << id.user << "\n";
  } else {
    o << "      user: " << quoted(id.user) << "\n";
    o << "      password: " << quoted(id.password_hash) << "\n";
  }
  o << "      permissions: {\n";
  o << "        publish: { allow: " << list(pub) << ", deny: [\"$SYS.>\"] }\n";
  o << "        subscribe: { allow: " << list(sub) << ", deny: [\"$SYS.>\"] }\n";
  if (allow_responses) {
    // Lets the agent answer a command on the hub's reply subject (one reply, within 10 min).
    o << "        allow_responses: { max: 1, expires: \"10m\" }\n";
  }
  o << "      }\n";
  o << "    }\n";
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

std::uint16_t crc16(const std::vector<unsigned char>& data) {
  std::uint16_t crc = 0;
  for (unsigned char b : data) {
    crc ^= static_cast<std::uint16_t>(b) << 8;
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x8000) != 0 ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                                : static_cast<std::uint16_t>(crc << 1);
    }
  }
  return crc;
}

std::string base32NoPad(const std::vector<unsigned char>& data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) {
    out += kAlphabet[(buffer << (5 - bits)) & 31];
  }
  return out;
}

std::string withCrc(std::vector<unsigned char> raw) {
  const auto crc = crc16(raw);
  raw.push_back(static_cast<unsigned char>(crc & 0xff));
  raw.push_back(static_cast<unsigned char>(crc >> 8));
  return base32NoPad(raw);
}

constexpr unsigned char kPrefixSeed = 18 << 3;  // 'S'
constexpr unsigned char kPrefixUser = 20 << 3;  // 'U'

}  // namespace

// What the hub does on the bus: JetStream stream/consumer management and fetch (the API),
// acks, commands to agents (request/reply), inbound events, and on hub.*: only its own
// hub.<hub_id>.> subjects and hub.global.health (federation: no hub can speak for another),
// while it hears every hub's; and its replica group's state sync (the group defaults to the
// hub id; replicas of one site share the identity).
std::vector<std::string> hubPublishAllow(const NatsConfigRequest& r) {
  return {"$JS.API.>",
          "$JS.ACK." + r.stream + ".>",
          "vitals.cmd.>",
          "hub." + r.hub_id + ".>",
          "hub.global.health",
          "vitals.events.>",
          subjects::replicaState(r.hub_id)};
}
std::vector<std::string> hubSubscribeAllow(const NatsConfigRequest& r) {
  return {"_INBOX_" + r.hub_id + ".>", "hub.>", "vitals.events.>",
          subjects::replicaState(r.hub_id)};
}

std::string encodeNkeyPublicUser(const std::array<unsigned char, 32>& public_key) {
  std::vector<unsigned char> raw{kPrefixUser};
  raw.insert(raw.end(), public_key.begin(), public_key.end());
  return withCrc(std::move(raw));
}

std::string encodeNkeySeedUser(const std::array<unsigned char, 32>& seed) {
  std::vector<unsigned char> raw{static_cast<unsigned char>(kPrefixSeed | (kPrefixUser >> 5)),
                                 static_cast<unsigned char>((kPrefixUser & 31) << 3)};
  raw.insert(raw.end(), seed.begin(), seed.end());
  return withCrc(std::move(raw));
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
  // JetStream publishes are plain publishes to the stream subject with a reply inbox: no
  // $JS.API access is needed (checked against nats-server by tests/integration).
  return {"vitals.agent." + agent + ".>"};
}

std::vector<std::string> agentSubscribeAllow(const std::string& agent) {
  return {subjects::commandWildcard(agent), "_INBOX_" + agent + ".>"};
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
    std::array<unsigned char, 32> seed{};
    std::size_t got = 0;
    while (got < seed.size()) {
      const ssize_t n = ::getrandom(seed.data() + got, seed.size() - got, 0);
      if (n > 0) {
        got += static_cast<std::size_t>(n);
      }
    }
    EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), 32);
    std::array<unsigned char, 32> pub{};
    std::size_t len = pub.size();
    const bool ok = key != nullptr && EVP_PKEY_get_raw_public_key(key, pub.data(), &len) == 1;
    EVP_PKEY_free(key);
    if (!ok || len != pub.size()) {
      return Error{"nats_config.nkey", "cannot derive an Ed25519 public key (OpenSSL)", {}};
    }
    return std::pair{encodeNkeyPublicUser(pub), encodeNkeySeedUser(seed)};
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
