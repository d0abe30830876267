#include "agent/enroll/enroll_command.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/nats/subjects.hpp"
#include "common/net/url.hpp"

namespace vitals::agent::enroll {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Error usage(std::string message) { return Error{"enroll.usage", std::move(message), {}}; }
Error refused(std::string message) { return Error{"enroll.refused", std::move(message), {}}; }

bool isTokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool looksLikeToken(const std::string& t) {
  if (t.size() != 46 || t.rfind("ve_", 0) != 0) {
    return false;
  }
  for (std::size_t i = 3; i < t.size(); ++i) {
    if (!isTokenChar(t[i])) {
      return false;
    }
  }
  return true;
}

std::string defaultAgentId(const std::string& hostname) {
  std::string id = hostname.substr(0, hostname.find('.'));
  for (char& c : id) {
    if (!isTokenChar(c)) {
      c = '_';
    }
  }
  return id.empty() ? "localhost" : id;
}

// YAML double-quoted scalar.
std::string yamlQuoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

// A file created exclusively with mode 0600; removed by its destructor unless kept.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile() {
    if (!path_.empty() && !kept_) {
      ::unlink(path_.c_str());
    }
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  Status write(const std::string& text) {
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      path_.clear();  // not ours to remove
      return Error{"enroll.write", "cannot create " + target() + ": " + std::strerror(errno), {}};
    }
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        const int e = errno;
        ::close(fd);
        return Error{"enroll.write", "cannot write " + target() + ": " + std::strerror(e), {}};
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
      return Error{"enroll.write", "cannot write " + target() + ": " + std::strerror(errno), {}};
    }
    return okStatus();
  }
  Status chown(uid_t uid, gid_t gid) {
    if (::chown(path_.c_str(), uid, gid) != 0) {
      return Error{
          "enroll.write", "cannot give " + target() + " to its owner: " + std::strerror(errno), {}};
    }
    return okStatus();
  }
  // Renames onto `final_path` only if nothing is there (link + unlink: never replaces a file).
  Status commit(const std::string& final_path) {
    if (::link(path_.c_str(), final_path.c_str()) != 0) {
      return Error{"enroll.write", "cannot create " + final_path + ": " + std::strerror(errno), {}};
    }
    ::unlink(path_.c_str());
    kept_ = true;
    return okStatus();
  }
  std::string target() const { return path_.empty() ? std::string("a temporary file") : path_; }

 private:
  std::string path_;
  bool kept_ = false;
};

struct Owner {
  bool set = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

Result<Owner> lookupOwner(const std::string& name) {
  if (name.empty()) {
    return Owner{};
  }
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return refused("--owner: no user named \"" + name + "\" on this host");
  }
  if (::geteuid() != 0 && ::geteuid() != found->pw_uid) {
    return refused("--owner " + name + " needs root (files can only be given away by root)");
  }
  return Owner{true, found->pw_uid, found->pw_gid};
}

std::string renderConfig(const EnrollArgs& a, const std::string& nats_url, const std::string& nkey,
                         const std::string& seed_path,
                         const std::map<std::string, std::string>& labels) {
  std::ostringstream o;
  o << "# Written by `vitals-agent enroll` (hub " << a.hub_url << ").\n"
    << "# The NATS identity is this node's own: the seed in nkey_seed_file never left it.\n"
    << "# Add checks below (docs/configuration-agent.md).\n";
  o << "agent_id: " << a.agent_id << "\n";
  if (!labels.empty()) {
    o << "labels:\n";
    for (const auto& [k, v] : labels) {
      o << "  " << yamlQuoted(k) << ": " << yamlQuoted(v) << "\n";
    }
  }
  o << "nats:\n";
  o << "  url: " << yamlQuoted(nats_url) << "\n";
  o << "  nkey: " << nkey << "\n";
  o << "  nkey_seed_file: " << yamlQuoted(seed_path) << "\n";
  return o.str();
}

std::string hubError(const HttpAnswer& answer) {
  auto j = json::parse(answer.body, nullptr, false);
  std::string message;
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    message = j["error"].value("message", std::string());
  }
  return "the hub refused the enrollment (HTTP " + std::to_string(answer.status) + ")" +
         (message.empty() ? std::string() : ": " + message);
}

}  // namespace

const char* const kEnrollUsage =
    "usage: vitals-agent enroll --hub URL --token TOKEN [--agent-id ID]\n"
    "                           [--config FILE] [--seed-file FILE] [--owner USER]\n"
    "                           [--ca-file PEM] [--insecure]\n"
    "\n"
    "  Joins this node to the hub with a one-time token (vitalsctl agents enroll-token).\n"
    "  Makes the agent's NATS key pair here, sends only the public key, and writes the agent\n"
    "  config (--config, default /etc/vitals/agent.yaml) and the key's seed (--seed-file, default\n"
    "  next to the config, .nk) with mode 0600, owned by --owner. Neither file may exist yet.\n"
    "\n"
    "  --hub URL       the hub's API, https:// (http:// only with --insecure, to a loopback hub)\n"
    "  --token TOKEN   the enrollment token (single use)\n"
    "  --agent-id ID   this agent's id (default: the host name up to its first dot)\n"
    "  --ca-file PEM   CA of the hub's certificate (default: the system store)\n"
    "  --insecure      allow plain http:// to a hub on this host (127.0.0.0/8, ::1, localhost)\n";

bool isLoopbackHost(const std::string& host) {
  in_addr v4{};
  return host == "localhost" || host == "::1" ||
         (::inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127);
}

Result<EnrollArgs> parseEnrollArgs(const std::vector<std::string>& args) {
  EnrollArgs a;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--insecure") {
      a.insecure = true;
      continue;
    }
    std::string* target = nullptr;
    if (arg == "--hub") {
      target = &a.hub_url;
    } else if (arg == "--token") {
      target = &a.token;
    } else if (arg == "--agent-id") {
      target = &a.agent_id;
    } else if (arg == "--config") {
      target = &a.config_path;
    } else if (arg == "--seed-file") {
      target = &a.seed_path;
    } else if (arg == "--owner") {
      target = &a.owner;
    } else if (arg == "--ca-file") {
      target = &a.ca_file;
    } else {
      return usage("unknown option \"" + arg + "\"");
    }
    if (i + 1 >= args.size() || args[i + 1].empty()) {
      return usage(arg + " needs a value");
    }
    *target = args[++i];
  }
  if (a.hub_url.empty()) {
    return usage("--hub URL is required");
  }
  if (a.token.empty()) {
    return usage("--token TOKEN is required");
  }
  if (a.seed_path.empty()) {
    const fs::path p(a.config_path);
    a.seed_path = (p.parent_path() / (p.stem().string() + ".nk")).string();
  }
  return a;
}

int runEnroll(const std::vector<std::string>& argv, const EnrollDeps& deps, std::ostream& out,
              std::ostream& err) {
  for (const auto& a : argv) {
    if (a == "--help" || a == "-h") {
      out << kEnrollUsage;
      return 0;
    }
  }
  auto parsed = parseEnrollArgs(argv);
  if (!parsed.ok()) {
    err << "vitals-agent enroll: " << parsed.error().message << "\n\n" << kEnrollUsage;
    return 2;
  }
  EnrollArgs a = parsed.value();
  auto fail = [&](const std::string& message) {
    err << "vitals-agent enroll: " << message << "\nnothing was written.\n";
    return 1;
  };

  // 1. Everything that can be checked here, before anything is sent or written.
  auto url = net::parseUrl(a.hub_url);
  if (!url.ok()) {
    return fail("--hub: " + url.error().message);
  }
  if (url->scheme != "https") {
    if (url->scheme != "http") {
      return fail("--hub must be an https:// URL, got \"" + a.hub_url + "\"");
    }
    if (!a.insecure) {
      return fail("--hub " + a.hub_url +
                  " is not HTTPS: the token would travel in clear. Use https://, or --insecure "
                  "for a hub on this host");
    }
    if (!isLoopbackHost(url->host)) {
      return fail(
          "--insecure allows http:// only to a hub on this host (127.0.0.1, ::1, "
          "localhost), not \"" +
          url->host + "\"");
    }
  }
  if (!looksLikeToken(a.token)) {
    return fail(
        "--token is not an enrollment token (\"ve_\" followed by 43 characters); copy it "
        "again from `vitalsctl agents enroll-token`");
  }
  if (a.agent_id.empty()) {
    a.agent_id = defaultAgentId(deps.hostname);
  }
  if (!subjects::isValidToken(a.agent_id)) {
    return fail("--agent-id \"" + a.agent_id + "\" must be 1-128 characters of A-Z a-z 0-9 _ -");
  }
  if (a.seed_path == a.config_path) {
    return fail("--seed-file and --config must be different files");
  }
  for (const auto& path : {a.config_path, a.seed_path}) {
    std::error_code ec;
    if (fs::exists(path, ec) || fs::is_symlink(path, ec)) {
      return fail(path +
                  " exists already: this node looks enrolled. Move it away (or choose "
                  "another --config/--seed-file) to enroll again");
    }
    const auto dir = fs::path(path).parent_path();
    if (!dir.empty() && !fs::is_directory(dir, ec)) {
      return fail("the folder " + dir.string() + " (for " + path + ") does not exist");
    }
  }
  if (!a.ca_file.empty() && ::access(a.ca_file.c_str(), R_OK) != 0) {
    return fail("--ca-file " + a.ca_file + ": " + std::strerror(errno));
  }
  auto owner = lookupOwner(a.owner);
  if (!owner.ok()) {
    return fail(owner.error().message);
  }

  // 2. The key pair, and the seed in a temporary file (proves the folder is writable).
  auto key = deps.new_key();
  if (!key.ok()) {
    return fail(key.error().message);
  }
  const std::string suffix = ".enroll-tmp." + std::to_string(::getpid());
  TempFile seed_tmp(a.seed_path + suffix);
  if (auto s = seed_tmp.write(key->seed + "\n"); !s.ok()) {
    return fail(s.error().message);
  }

  // 3. The hub.
  const json request{{"token", a.token},
                     {"agent_id", a.agent_id},
                     {"nkey", key->public_key},
                     {"hostname", deps.hostname}};
  std::string endpoint = url->toString();
  while (!endpoint.empty() && endpoint.back() == '/') {
    endpoint.pop_back();
  }
  endpoint += "/api/v1/enroll";
  auto answer = deps.post(endpoint, request.dump(), a.ca_file);
  if (!answer.ok()) {
    return fail("cannot reach the hub at " + a.hub_url + ": " + answer.error().message);
  }
  if (answer->status != 201) {
    return fail(hubError(answer.value()));
  }
  const auto body = json::parse(answer->body, nullptr, false);
  if (!body.is_object() || !body.contains("nats") || !body["nats"].is_object() ||
      !body["nats"].contains("url") || !body["nats"]["url"].is_string()) {
    return fail("the hub's answer has no nats.url (is " + a.hub_url + " a vitals hub?)");
  }
  std::map<std::string, std::string> labels;
  if (body.contains("labels") && body["labels"].is_object()) {
    for (const auto& [k, v] : body["labels"].items()) {
      if (v.is_string()) {
        labels[k] = v.get<std::string>();
      }
    }
  }
  const auto nats_url = body["nats"]["url"].get<std::string>();

  // 4. The config, then both files into place.
  const auto enrolled_but = [&](const std::string& message) {
    err << "vitals-agent enroll: the hub enrolled \"" << a.agent_id << "\" but " << message
        << "\nnothing was left on this node; ask an admin to run `vitalsctl agents revoke "
        << a.agent_id << "` and enroll again with a new token.\n";
    return 1;
  };
  TempFile config_tmp(a.config_path + suffix);
  if (auto s = config_tmp.write(renderConfig(a, nats_url, key->public_key, a.seed_path, labels));
      !s.ok()) {
    return enrolled_but(s.error().message);
  }
  if (owner->set) {
    if (auto s = seed_tmp.chown(owner->uid, owner->gid); !s.ok()) {
      return enrolled_but(s.error().message);
    }
    if (auto s = config_tmp.chown(owner->uid, owner->gid); !s.ok()) {
      return enrolled_but(s.error().message);
    }
  }
  if (auto s = seed_tmp.commit(a.seed_path); !s.ok()) {
    return enrolled_but(s.error().message);
  }
  if (auto s = config_tmp.commit(a.config_path); !s.ok()) {
    ::unlink(a.seed_path.c_str());
    return enrolled_but(s.error().message);
  }
  out << "enrolled \"" << a.agent_id << "\" with hub "
      << (body.contains("hub_id") && body["hub_id"].is_string() ? body["hub_id"].get<std::string>()
                                                                : a.hub_url)
      << "\n  config:    " << a.config_path << "\n  NATS key:  " << key->public_key << " (seed in "
      << a.seed_path << ")\n  NATS URL:  " << nats_url << "\n";
  if (body.contains("bus") && body["bus"].is_object() && !body["bus"].value("applied", true)) {
    out << "  note: the hub has not applied the identity on the bus yet ("
        << body["bus"].value("error", std::string()) << "); the agent connects once it has\n";
  }
  out << "Start it with: vitals-agent --config " << a.config_path << "\n";
  return 0;
}

}  // namespace vitals::agent::enroll
