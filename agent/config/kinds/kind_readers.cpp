#include "agent/config/kinds/kind_readers.hpp"

#include <regex>

namespace vitals::agent::kinds {

const std::vector<KindReader>& kindReaders() {
  static const std::vector<KindReader> kReaders = {
      {"http",
       {"url", "method", "expected_status", "body_contains", "body_regex", "json_path",
        "json_equals", "headers", "follow_redirects", "max_redirects", "tls_verify", "ca_file",
        "cert_warn_days"},
       readHttp},
      {"tcp", {"host", "port", "send", "expect"}, readTcp},
      {"postgres", {"dsn", "dsn_file", "password_file", "password_env", "query"}, readPostgres},
      {"redis", {"host", "port", "username", "password_file", "password_env", "role"}, readRedis},
      {"container",
       {"container", "socket", "unhealthy_status", "starting_status", "max_restarts"},
       readContainer},
      {"exec", {"argv", "env", "working_dir", "max_output"}, readExec},
      {"disk",
       {"path", "warn_free_percent", "crit_free_percent", "warn_free_bytes", "crit_free_bytes",
        "warn_free_inodes_percent", "crit_free_inodes_percent", "write_test", "write_dir"},
       readDisk},
      {"log",
       {"path", "levels", "patterns", "top", "warn_per_minute", "crit_per_minute", "from_start"},
       readLog},
      {"systemd", {"unit"}, readSystemd},
      {"heartbeat", {"ttl"}, readHeartbeat},
      {"scan",
       {"argv", "env", "working_dir", "format", "exit_codes", "fail_on", "warn_on", "max_output"},
       readScan},
  };
  return kReaders;
}

const KindReader* findKind(const std::string& kind) {
  for (const auto& r : kindReaders()) {
    if (r.kind == kind) {
      return &r;
    }
  }
  return nullptr;
}

std::string kindList() {
  std::string out;
  const auto& all = kindReaders();
  for (std::size_t i = 0; i < all.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == all.size() ? " or " : ", ") + all[i].kind;
  }
  return out;
}

SecretSource readSecret(config::YamlReader& c, const LoadOptions& options) {
  SecretSource s;
  s.file = c.str("password_file", "");
  s.env = c.str("password_env", "");
  if (c.has("password")) {
    c.problem("password", "secrets are not accepted inline: use password_file or password_env");
    c.str("password");
  }
  if (!s.file.empty() && !s.env.empty()) {
    c.problem("password_env", "use either password_file or password_env, not both");
  }
  if (!s.file.empty() && options.readable && !options.readable(s.file)) {
    c.problem("password_file", "cannot read \"" + s.file + "\"");
  }
  return s;
}

bool validHost(const std::string& host) {
  return !host.empty() && host.find_first_of(" /\t") == std::string::npos;
}

std::string regexError(const std::string& pattern) {
  try {
    std::regex re(pattern, std::regex::ECMAScript);
    return "";
  } catch (const std::regex_error& e) {
    return std::string("invalid regular expression: ") + e.what();
  }
}

std::optional<HealthStatus> readStatus(config::YamlReader& c, const std::string& key,
                                       const std::set<HealthStatus>& allowed) {
  auto text = c.str(key);
  if (!text) {
    return std::nullopt;
  }
  auto s = parseHealthStatus(*text);
  if (!s || allowed.count(*s) == 0) {
    std::string names;
    for (auto a : allowed) {
      names += (names.empty() ? "" : ", ") + std::string(toString(a));
    }
    c.problem(key, "must be one of " + names + "; got \"" + *text + "\"");
    return std::nullopt;
  }
  return s;
}

void readCommand(config::YamlReader& c, const std::string& kind, const std::string& example,
                 std::vector<std::string>& argv,
                 std::vector<std::pair<std::string, std::string>>& env, std::string& working_dir) {
  if (auto list = c.strings("argv")) {
    if (list->empty() || (*list)[0].empty()) {
      c.problem("argv", "must name a program");
    }
    argv = *list;
  } else if (!c.has("argv")) {
    c.problem("argv", "is required for kind " + kind + " (a list: " + example + ")");
  }
  if (auto vars = c.stringMap("env")) {
    for (auto& [k, v] : *vars) {
      if (k.empty() || k.find('=') != std::string::npos) {
        c.problem("env", "invalid variable name \"" + k + "\"");
        continue;
      }
      env.emplace_back(k, v);
    }
  }
  working_dir = c.str("working_dir", "");
  if (!working_dir.empty() && working_dir[0] != '/') {
    c.problem("working_dir", "must be an absolute path");
  }
}

}  // namespace vitals::agent::kinds
