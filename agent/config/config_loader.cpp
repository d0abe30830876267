#include "agent/config/config_loader.hpp"

#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <limits>
#include <set>
#include <sstream>

#include "agent/config/actions_reader.hpp"
#include "agent/config/kinds/kind_readers.hpp"
#include "common/config/secret_file.hpp"
#include "common/nats/subjects.hpp"
#include "common/net/target_guard.hpp"
#include "common/net/url.hpp"

namespace vitals::agent {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

constexpr milliseconds kMaxInterval = 24h;
constexpr milliseconds kAnyDuration = 3650 * 24h;  // upper bound for the reader; we check ours

struct CheckDefaults {
  milliseconds interval = 30s;
  milliseconds timeout = 5s;
  std::uint32_t retries = 3;
  std::uint32_t recover = 1;
  milliseconds retry_backoff = 1s;
  std::int64_t flap_high = 50;
  std::int64_t flap_low = 25;
  bool flap_set = false;  // flap_* given in defaults (validated together)
  std::string yaml;       // the defaults mapping as text: part of every check's definition
};

// Where a check name was first defined, for duplicate messages across files.
struct NameSite {
  std::string file;
  int line = 0;
};

// Kinds that hold a connection or a process on their target: serialised per target by default.
const std::set<std::string> kHeavyKinds = {"postgres", "exec", "container", "scan"};

// kind: scan runs for minutes and costs CPU: its own timing defaults (the `defaults` section is
// for probes that run every few seconds), and an interval of at least kMinScanInterval.
constexpr milliseconds kScanInterval = 6h;
constexpr milliseconds kScanTimeout = 10min;
constexpr milliseconds kMinScanInterval = 1min;
constexpr std::uint32_t kScanRetries = 1;

// A canonical text of a node: the same for the same data whatever the YAML style (block or flow,
// quoting, comments, key order), so reload can tell an edited check from a reformatted one.
void canonical(const YAML::Node& node, std::string& out) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      std::vector<std::pair<std::string, std::string>> entries;
      for (const auto& kv : node) {
        std::string k;
        std::string v;
        canonical(kv.first, k);
        canonical(kv.second, v);
        entries.emplace_back(std::move(k), std::move(v));
      }
      std::sort(entries.begin(), entries.end());
      out += '{';
      for (const auto& [k, v] : entries) {
        out += k + ':' + v + ',';
      }
      out += '}';
      break;
    }
    case YAML::NodeType::Sequence:
      out += '[';
      for (const auto& item : node) {
        canonical(item, out);
        out += ',';
      }
      out += ']';
      break;
    case YAML::NodeType::Scalar:
      out += std::to_string(node.Scalar().size()) + '"' + node.Scalar();
      break;
    default:
      out += '~';
      break;
  }
}

std::string dumpYaml(const YAML::Node& node) {
  std::string out;
  canonical(node, out);
  return out;
}

// flap_high/flap_low on a check or on defaults; low must stay below high.
void readFlap(config::YamlReader& r, std::int64_t& high, std::int64_t& low) {
  if (!r.has("flap_high") && !r.has("flap_low")) {
    return;
  }
  high = r.integer("flap_high", high, 1, 100);
  low = r.integer("flap_low", low, 0, 99);
  if (low >= high) {
    r.problem(r.has("flap_low") ? "flap_low" : "flap_high", "flap_low (" + std::to_string(low) +
                                                                "%) must be below flap_high (" +
                                                                std::to_string(high) + "%)");
  }
}

std::string hashText(const std::string& text) {
  // FNV-1a 64: stable across runs and builds; only used to tell configs apart.
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// A duration that must be > 0 and <= max; reports with our wording.
std::optional<milliseconds> positiveDuration(config::YamlReader& r, const std::string& key,
                                             milliseconds max) {
  auto d = r.duration(key, 0ms, kAnyDuration);
  if (!d) {
    return std::nullopt;
  }
  if (*d <= 0ms) {
    r.problem(key, "must be > 0s");
    return std::nullopt;
  }
  if (*d > max) {
    r.problem(key, "must be at most " + config::formatDuration(max));
    return std::nullopt;
  }
  return d;
}

std::string tokenMessage() { return "must contain only letters, digits, '_' and '-'"; }

void readDefaults(config::YamlReader& root, CheckDefaults& out) {
  auto d = root.mapping("defaults");
  if (!d) {
    return;
  }
  out.yaml = dumpYaml(d->node());
  if (auto v = positiveDuration(*d, "interval", kMaxInterval)) out.interval = *v;
  if (auto v = positiveDuration(*d, "timeout", kMaxInterval)) out.timeout = *v;
  if (auto v = d->integer("retries", 1, 100)) out.retries = static_cast<std::uint32_t>(*v);
  if (auto v = d->integer("recover", 1, 100)) out.recover = static_cast<std::uint32_t>(*v);
  if (auto v = positiveDuration(*d, "retry_backoff", kMaxInterval)) out.retry_backoff = *v;
  readFlap(*d, out.flap_high, out.flap_low);
  d->finish();
}

// `target_allowlist`: CIDRs and host names ("*.corp.example") that checks with
// restrict_targets may reach although they are not public (docs/security.md).
std::shared_ptr<const net::GuardPolicy> applyTargetAllowlist(config::YamlReader& root,
                                                             std::vector<CheckConfig>& checks) {
  net::GuardPolicy policy;
  if (auto entries = root.strings("target_allowlist")) {
    for (const auto& e : *entries) {
      if (auto cidr = net::Cidr::parse(e)) {
        policy.allow_cidrs.push_back(*cidr);
        continue;
      }
      const std::string name = e.rfind("*.", 0) == 0 ? e.substr(2) : e;
      if (name.empty() || !kinds::validHost(name) || name.find(':') != std::string::npos) {
        root.problem(
            "target_allowlist",
            "\"" + e + "\" is neither a CIDR (10.0.0.0/8) nor a host name (*.example.com)");
        continue;
      }
      policy.allow_hosts.push_back(e);
    }
  }
  auto shared = std::make_shared<const net::GuardPolicy>(std::move(policy));
  for (auto& check : checks) {
    if (auto* http = std::get_if<HttpCheckSpec>(&check.spec); http && http->restrict_targets) {
      http->restrict_targets = shared;
    } else if (auto* tcp = std::get_if<TcpCheckSpec>(&check.spec); tcp && tcp->restrict_targets) {
      tcp->restrict_targets = shared;
    }
  }
  return shared;
}

void readNats(config::YamlReader& root, const LoadOptions& options, NatsSettings& out) {
  nats::NatsSources sources;
  sources.readable = [&options](const std::string& path) -> Status {
    if (options.readable(path)) {
      return okStatus();
    }
    return Error{"config.unreadable", "", path};
  };
  nats::readNatsSection(root, sources, out, [&out](config::YamlReader& n) {
    if (auto v = n.duration("publish_timeout", 100ms, 60s)) {
      out.publish_timeout = *v;
    }
  });
}

void readLog(config::YamlReader& root, LogSettings& out) {
  auto l = root.mapping("log");
  if (!l) {
    return;
  }
  if (auto level = l->str("level")) {
    spdlog::level::level_enum parsed;
    if (log::parseLevel(*level, parsed)) {
      out.level = *level;
    } else {
      l->problem("level", "must be one of trace, debug, info, warn, error, critical, off; got \"" +
                              *level + "\"");
    }
  }
  if (auto format = l->str("format")) {
    if (*format == "auto") {
      out.format = log::Format::Auto;
    } else if (*format == "text") {
      out.format = log::Format::Text;
    } else if (*format == "json") {
      out.format = log::Format::Json;
    } else {
      l->problem("format", "must be auto, text or json; got \"" + *format + "\"");
    }
  }
  l->finish();
}

void readPublish(config::YamlReader& root, PublishSettings& out) {
  auto p = root.mapping("publish");
  if (!p) {
    return;
  }
  if (auto v = p->integer("max_batch", 1, 10000)) out.max_batch = static_cast<std::size_t>(*v);
  if (auto v = p->duration("max_delay", 0ms, 60s)) out.max_delay = *v;
  if (p->has("max_buffered")) {
    p->problem("max_buffered", "was replaced by spool.max_bytes (results wait in the spool)");
    (void)p->integer("max_buffered", 0, std::numeric_limits<std::int64_t>::max());
  }
  p->finish();
}

void readSpool(config::YamlReader& root, SpoolSettings& out) {
  auto s = root.mapping("spool");
  if (!s) {
    return;
  }
  out.dir = s->str("dir", "");
  if (s->has("dir") && out.dir.empty()) {
    s->problem("dir", "must not be empty (omit spool.dir to spool in memory)");
  }
  if (auto v = s->integer("max_bytes", 64 * 1024, std::int64_t{1} << 40)) {
    out.max_bytes = static_cast<std::uint64_t>(*v);
  }
  if (auto v = s->integer("drain_rate", 1, 100000)) {
    out.drain_rate = static_cast<std::uint32_t>(*v);
  }
  s->finish();
}

// Reads one check; returns nullopt when it has problems (already reported).
std::optional<CheckConfig> readCheck(config::YamlReader& c, const CheckDefaults& defaults,
                                     const LoadOptions& options,
                                     std::map<std::string, NameSite>& names_seen,
                                     std::set<std::string>& explained) {
  const std::size_t before = c.problems().list().size();
  CheckConfig check;

  if (auto name = c.str("name")) {
    check.name = *name;
    if (!subjects::isValidToken(*name)) {
      c.problem("name", tokenMessage() + ", got \"" + *name + "\"");
    } else if (auto it = names_seen.find(*name); it != names_seen.end()) {
      const NameSite& first = it->second;
      c.problem("name", "duplicate check name \"" + *name + "\" (first " +
                            (first.file == c.file()
                                 ? "at line " + std::to_string(first.line)
                                 : "in " + first.file + ":" + std::to_string(first.line)) +
                            ")");
    } else {
      names_seen.emplace(*name, NameSite{c.file(), c.line()});
    }
  } else {
    c.problem("name", "is required");
  }
  check.service = c.str("service", check.name);
  if (c.has("service") && !subjects::isValidToken(check.service)) {
    c.problem("service", tokenMessage() + ", got \"" + check.service + "\"");
  }

  // Timing: the check's own value or the default; the cross-checks name where a value came from.
  const bool own_interval = c.has("interval");
  const bool own_timeout = c.has("timeout");
  const bool is_scan = [&] {
    const YAML::Node& node = c.node();
    const YAML::Node kind = node["kind"];
    return kind && kind.IsScalar() && kind.Scalar() == "scan";
  }();
  check.interval = is_scan ? kScanInterval : defaults.interval;
  check.timeout = is_scan ? std::min(kScanTimeout, check.interval / 2) : defaults.timeout;
  bool timing_ok = true;
  if (own_interval) {
    if (auto v = positiveDuration(c, "interval", kMaxInterval)) {
      check.interval = *v;
      if (is_scan && *v < kMinScanInterval) {
        c.problem("interval", "must be at least " + config::formatDuration(kMinScanInterval) +
                                  " for kind scan (a scanner runs for minutes), got " +
                                  config::formatDuration(*v));
        timing_ok = false;
      } else if (is_scan && !own_timeout) {
        check.timeout = std::min(kScanTimeout, check.interval / 2);
      }
    } else {
      timing_ok = false;
    }
  }
  if (own_timeout) {
    if (auto v = positiveDuration(c, "timeout", kMaxInterval)) {
      check.timeout = *v;
    } else {
      timing_ok = false;
    }
  }
  if (timing_ok && check.timeout >= check.interval) {
    std::string msg = "must be less than interval (" + config::formatDuration(check.interval) +
                      (own_interval ? "" : " from defaults") + ")";
    if (!own_timeout) {
      msg = "timeout " + config::formatDuration(check.timeout) + " from defaults " + msg;
    }
    c.problem("timeout", msg);
    timing_ok = false;
  }
  check.retries = static_cast<std::uint32_t>(
      c.integer("retries", is_scan ? kScanRetries : defaults.retries, 1, 100));
  check.recover = static_cast<std::uint32_t>(c.integer("recover", defaults.recover, 1, 100));
  check.retry_backoff = defaults.retry_backoff;
  if (c.has("retry_backoff")) {
    if (auto v = positiveDuration(c, "retry_backoff", kMaxInterval)) {
      check.retry_backoff = *v;
    }
  }
  if (c.has("degraded_latency")) {
    if (auto v = positiveDuration(c, "degraded_latency", kMaxInterval)) {
      if (timing_ok && *v >= check.timeout) {
        c.problem("degraded_latency",
                  "must be less than timeout (" + config::formatDuration(check.timeout) + ")");
      } else {
        check.degraded_latency = *v;
      }
    }
  }

  {
    std::int64_t high = defaults.flap_high;
    std::int64_t low = defaults.flap_low;
    readFlap(c, high, low);
    check.flap_high = static_cast<double>(high);
    check.flap_low = static_cast<double>(low);
  }
  check.source_file = c.file();

  auto kind = c.str("kind");
  check.heavy = c.boolean("heavy", kind && kHeavyKinds.count(*kind) != 0);
  bool judge_unknown_keys = true;
  if (!kind) {
    c.problem("kind", "is required (" + kinds::kindList() + ")");
    judge_unknown_keys = false;
  } else if (const auto* reader = kinds::findKind(*kind)) {
    check.kind = *kind;
    reader->read(c, options, check);
    // A key of another kind gets a precise message instead of "unknown key".
    for (const auto& other : kinds::kindReaders()) {
      for (const auto& key : other.keys) {
        if (reader->keys.count(key) == 0 && c.has(key) &&
            explained.insert(c.path() + "." + key).second) {
          c.problem(key, key + " is not valid for kind " + *kind);
        }
      }
    }
  } else {
    c.problem("kind", "unknown kind \"" + *kind + "\" (expected " + kinds::kindList() + ")");
    judge_unknown_keys = false;
  }
  if (judge_unknown_keys) {
    c.finish();
  }
  if (c.problems().list().size() != before) {
    return std::nullopt;
  }
  return check;
}

// Reads root's `checks` list into out; each check's definition is its YAML plus the defaults.
// With a streamed root (YamlReader::loadStringStreaming) each item's tree lives only while it is
// read.
void readChecks(config::YamlReader& root, const CheckDefaults& defaults, const LoadOptions& options,
                std::map<std::string, NameSite>& names_seen, std::set<std::string>& explained,
                std::vector<CheckConfig>& out) {
  root.eachMapping("checks", [&](config::YamlReader& c) {
    auto check = readCheck(c, defaults, options, names_seen, explained);
    if (!check) {
      return;
    }
    check->definition = dumpYaml(c.node()) + "\n--- defaults\n" + defaults.yaml;
    out.push_back(std::move(*check));
  });
}

// include: [patterns] and conf_d: DIR (= DIR/*.yaml). Patterns are glob(7), relative ones taken
// from the main file's directory; matches merge in sorted order. An include file holds only
// `checks:`; the main file's defaults apply to them.
void readIncludes(config::YamlReader& root, const std::string& main_file,
                  const CheckDefaults& defaults, const LoadOptions& options,
                  std::map<std::string, NameSite>& names_seen, std::set<std::string>& explained,
                  config::Problems& problems, AgentConfig& cfg) {
  std::vector<std::string> patterns;
  if (root.has("include")) {
    if (auto list = root.strings("include")) {
      patterns = *list;
    }
  }
  if (auto dir = root.str("conf_d")) {
    if (dir->empty()) {
      root.problem("conf_d", "must not be empty");
    } else {
      patterns.push_back(*dir + "/*.yaml");
    }
  }
  const auto slash = main_file.rfind('/');
  const std::string base = slash == std::string::npos ? "." : main_file.substr(0, slash);
  std::set<std::string> seen_files;
  for (auto pattern : patterns) {
    if (pattern.empty()) {
      root.problem("include", "patterns must not be empty");
      continue;
    }
    if (pattern[0] != '/') {
      pattern = base + "/" + pattern;
    }
    glob_t g{};
    const int rc = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
    std::vector<std::string> files;
    if (rc == 0) {
      for (std::size_t i = 0; i < g.gl_pathc; ++i) {
        files.emplace_back(g.gl_pathv[i]);
      }
    }
    ::globfree(&g);
    if (rc != 0 && rc != GLOB_NOMATCH) {
      root.problem(root.has("include") ? "include" : "conf_d", "cannot read \"" + pattern + "\"");
      continue;
    }
    std::sort(files.begin(), files.end());  // merge order does not depend on the file system
    for (const auto& f : files) {
      if (!seen_files.insert(f).second) {
        continue;
      }
      cfg.include_files.push_back(f);
      auto text = config::readTextFile(f);
      if (!text.ok()) {
        problems.add(f, 0, "", "cannot read file");
        continue;
      }
      auto inc = config::YamlReader::loadStringStreaming(text.value(), f, "checks", problems);
      if (!inc) {
        continue;
      }
      readChecks(*inc, defaults, options, names_seen, explained, cfg.checks);
      inc->finish();
    }
  }
}

}  // namespace

std::string CheckConfig::target() const {
  struct Target {
    std::string operator()(const HttpCheckSpec& s) const { return s.url; }
    std::string operator()(const TcpCheckSpec& s) const { return net::hostPort(s.host, s.port); }
    std::string operator()(const PostgresCheckSpec& s) const {
      return s.dsn.empty() ? "dsn_file " + s.dsn_file : s.dsn;
    }
    std::string operator()(const RedisCheckSpec& s) const { return net::hostPort(s.host, s.port); }
    std::string operator()(const ContainerCheckSpec& s) const {
      return "container " + s.name + " via " + s.socket;
    }
    std::string operator()(const ExecCheckSpec& s) const {
      std::string out;
      for (const auto& a : s.argv) {
        out += (out.empty() ? "" : " ") + a;
      }
      return out;
    }
    std::string operator()(const ScanCheckSpec& s) const {
      std::string out;
      for (const auto& a : s.argv) {
        out += (out.empty() ? "" : " ") + a;
      }
      return out;
    }
    std::string operator()(const DiskCheckSpec& s) const { return s.path; }
    std::string operator()(const LogCheckSpec& s) const { return s.path; }
    std::string operator()(const SystemdCheckSpec& s) const { return s.unit; }
    std::string operator()(const HeartbeatCheckSpec& s) const {
      return "push within " + config::formatDuration(s.ttl);
    }
  };
  return std::visit(Target{}, spec);
}

std::string parseHttpUrl(const std::string& url, HttpCheckSpec& spec) {
  auto parsed = net::parseUrl(url);
  if (!parsed.ok() && url.find("://") == std::string::npos) {
    return "must start with http:// or https://";
  }
  if (!parsed.ok()) {
    return parsed.error().message;
  }
  if (parsed->scheme != "http" && parsed->scheme != "https") {
    return "must start with http:// or https://";
  }
  spec.scheme = parsed->scheme;
  spec.host = parsed->host;
  spec.port = parsed->port;
  spec.path = parsed->target();
  return "";
}

std::string checkLoopbackListen(const std::string& listen) { return checkListen(listen, true); }

std::string checkListen(const std::string& listen, bool loopback_only) {
  const auto colon = listen.rfind(':');
  const std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
  const std::string port = colon == std::string::npos ? "" : listen.substr(colon + 1);
  if (loopback_only && host != "127.0.0.1" && host != "localhost") {
    return "must be 127.0.0.1:PORT (the endpoint is local only), got \"" + listen + "\"";
  }
  if (host.empty()) {
    return "must be HOST:PORT (an IPv4 address such as 127.0.0.1 or 0.0.0.0), got \"" + listen +
           "\"";
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(),
                   [](unsigned char ch) { return std::isdigit(ch) != 0; }) ||
      std::stoi(port) < 1 || std::stoi(port) > 65535) {
    return "port must be between 1 and 65535, got \"" + port + "\"";
  }
  return "";
}

std::string agentIdFromHostname(const std::string& hostname) {
  return subjects::sanitizeToken(hostname.substr(0, hostname.find('.')));
}

std::optional<AgentConfig> parseAgentConfig(const std::string& text, const std::string& file,
                                            const LoadOptions& given_options,
                                            config::Problems& problems) {
  LoadOptions options = given_options;
  if (!options.readable) {
    options.readable = [](const std::string& p) { return ::access(p.c_str(), R_OK) == 0; };
  }
  // Collected here first: an "unknown key" that we already explained more precisely (a key of
  // another kind, include) is dropped before the list reaches the caller.
  config::Problems raw;
  std::set<std::string> explained;
  AgentConfig cfg;
  cfg.source_file = file;
  cfg.config_hash = hashText(text);

  // The checks are read one at a time: thousands of them never exist as YAML trees at once.
  auto root = config::YamlReader::loadStringStreaming(text, file, "checks", raw);
  if (root) {
    if (auto id = root->str("agent_id")) {
      cfg.agent_id = *id;
      if (!subjects::isValidToken(*id)) {
        root->problem("agent_id", tokenMessage() + ", got \"" + *id + "\"");
      }
    } else {
      cfg.agent_id = agentIdFromHostname(options.hostname);
    }
    if (auto labels = root->stringMap("labels")) {
      for (auto& [k, v] : *labels) {
        if (k.empty()) {
          root->problem("labels", "label names must not be empty");
          continue;
        }
        cfg.labels[k] = v;
      }
    }
    readNats(*root, options, cfg.nats);
    if (auto v = root->duration("heartbeat_interval", 1s, 1h)) cfg.heartbeat_interval = *v;
    readLog(*root, cfg.log);
    readPublish(*root, cfg.publish);
    if (auto listen = root->str("heartbeat_listen")) {
      if (auto err = checkLoopbackListen(*listen); !err.empty()) {
        root->problem("heartbeat_listen", err);
      }
      cfg.heartbeat_listen = *listen;
    }
    if (auto listen = root->str("metrics_listen")) {
      if (auto err = checkListen(*listen, false); !err.empty()) {
        root->problem("metrics_listen", err);
      }
      cfg.metrics_listen = *listen;
    }
    readSpool(*root, cfg.spool);
    readActions(*root, cfg.actions);
    readServices(*root, cfg.services);
    CheckDefaults defaults;
    readDefaults(*root, defaults);
    std::map<std::string, NameSite> names_seen;
    readChecks(*root, defaults, options, names_seen, explained, cfg.checks);
    readIncludes(*root, file, defaults, options, names_seen, explained, raw, cfg);
    cfg.target_allowlist = applyTargetAllowlist(*root, cfg.checks);
    for (const auto& check : cfg.checks) {
      if (check.source_file != file) {
        cfg.config_hash = hashText(cfg.config_hash + check.definition);  // include files count
      }
    }
    if (cfg.heartbeat_listen.empty()) {
      for (const auto& check : cfg.checks) {
        if (check.kind == "heartbeat") {
          root->problem("heartbeat_listen",
                        "is required when a check has kind heartbeat (check " + check.name + ")");
          break;
        }
      }
    }
    root->finish();
  }

  std::vector<config::Problem> list;
  for (const auto& p : raw.list()) {
    if (p.message == "unknown key" && explained.count(p.path) != 0) {
      continue;
    }
    list.push_back(p);
  }
  std::stable_sort(
      list.begin(), list.end(),
      [](const config::Problem& a, const config::Problem& b) { return a.line < b.line; });
  for (auto& p : list) {
    problems.add(p.file, p.line, p.path, p.message);
  }
  if (!list.empty()) {
    return std::nullopt;
  }
  return cfg;
}

std::optional<CheckConfig> parseApiCheck(const std::string& text, const std::string& origin,
                                         std::shared_ptr<const net::GuardPolicy> allowlist,
                                         const LoadOptions& given_options,
                                         config::Problems& problems) {
  LoadOptions options = given_options;
  if (!options.readable) {
    options.readable = [](const std::string& p) { return ::access(p.c_str(), R_OK) == 0; };
  }
  config::Problems raw;
  std::set<std::string> explained;
  std::optional<CheckConfig> check;
  if (auto root = config::YamlReader::loadString(text, origin, raw)) {
    if (!root->node().IsMap()) {
      raw.add(origin, 0, "", "a check is a JSON object");
    } else {
      const YAML::Node kind = root->node()["kind"];
      const bool guarded =
          kind && kind.IsScalar() && (kind.Scalar() == "http" || kind.Scalar() == "tcp");
      if (kind && kind.IsScalar() && !guarded) {
        // exec, container, postgres... reach what only the host's owner may point them at.
        raw.add(origin, 0, "kind",
                "kind \"" + kind.Scalar() +
                    "\" cannot be managed through the API (only http and tcp, whose targets "
                    "pass the SSRF guard)");
      } else if (root->has("restrict_targets") && !root->node()["restrict_targets"].IsNull() &&
                 root->node()["restrict_targets"].Scalar() != "true") {
        raw.add(origin, 0, "restrict_targets",
                "is always true for a check managed through the API");
      } else {
        std::map<std::string, NameSite> names_seen;
        check = readCheck(*root, CheckDefaults{}, options, names_seen, explained);
      }
    }
  }
  for (const auto& p : raw.list()) {
    if (p.message == "unknown key" && explained.count(p.path) != 0) {
      continue;
    }
    problems.add(p.file, p.line, p.path, p.message);
  }
  if (!check || !problems.list().empty()) {
    return std::nullopt;
  }
  // Untrusted target: every hop goes through the guard, with this agent's allowlist.
  auto policy = allowlist ? std::move(allowlist) : std::make_shared<const net::GuardPolicy>();
  if (auto* http = std::get_if<HttpCheckSpec>(&check->spec)) {
    http->restrict_targets = policy;
  } else if (auto* tcp = std::get_if<TcpCheckSpec>(&check->spec)) {
    tcp->restrict_targets = policy;
  }
  check->source_file = origin;
  check->definition = "--- api\n" + text;
  return check;
}

std::optional<AgentConfig> loadAgentConfigFile(const std::string& path, const LoadOptions& options,
                                               config::Problems& problems) {
  auto text = config::readTextFile(path);
  if (!text.ok()) {
    problems.add(path, 0, "", "cannot read file");
    return std::nullopt;
  }
  return parseAgentConfig(text.value(), path, options, problems);
}

}  // namespace vitals::agent
