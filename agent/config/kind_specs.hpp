#pragma once
// Per-kind check settings: one plain value type per probe kind. Filled by the readers in
// agent/config/kinds/, validated there, and read by the probes in agent/probe/. Defaults here
// are the documented defaults (docs/configuration-agent.md).
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/model/scan_report.hpp"
#include "common/model/status.hpp"

namespace vitals::net {
struct GuardPolicy;  // common/net/target_guard.hpp
}

namespace vitals::agent {

// A JSON condition on an http body: the value at `path` ("$.a.b[0]") compared to `equals` (its
// JSON text or, for a string, the string itself).
struct JsonCondition {
  std::string path;  // as written, "$.status"
  std::vector<std::string> keys;  // parsed path: object keys, or "[N]" for array indexes
  std::string equals;
};

struct HttpCheckSpec {
  std::string url;     // as written
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  std::uint16_t port = 0;
  std::string path = "/";  // path and query, never empty
  std::string method = "GET";
  std::vector<int> expected_status;  // empty: any 2xx
  std::optional<std::string> body_contains;
  std::optional<std::string> body_regex;  // ECMAScript syntax, searched in the body
  std::optional<JsonCondition> json;
  std::vector<std::pair<std::string, std::string>> headers;
  bool follow_redirects = false;
  std::uint32_t max_redirects = 5;
  bool tls_verify = true;
  std::string ca_file;  // empty: the system store
  std::uint32_t cert_warn_days = 14;
  // Set (restrict_targets: true): the target is untrusted and every hop, redirects included, goes
  // through the SSRF guard with this policy before connecting (docs/security.md).
  std::shared_ptr<const net::GuardPolicy> restrict_targets;
};

struct TcpCheckSpec {
  std::string host;
  std::uint16_t port = 0;
  std::string send;    // written after connect (empty: nothing)
  std::string expect;  // must occur in the first reply bytes (empty: no read)
  std::shared_ptr<const net::GuardPolicy> restrict_targets;  // as for http
};

// Where a secret comes from: a file (read at each run, one trailing newline dropped) or an
// environment variable. Both empty: no secret.
struct SecretSource {
  std::string file;
  std::string env;
  bool empty() const { return file.empty() && env.empty(); }
};

struct PostgresCheckSpec {
  std::string dsn;       // libpq conninfo without a password
  std::string dsn_file;  // or: the whole conninfo read from this file at each run
  SecretSource password;
  std::string query;  // empty: SELECT 1
};

struct RedisCheckSpec {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string username;  // ACL user (Redis 6+); empty: AUTH with the password only
  SecretSource password;
  std::string role;  // "", "master" or "slave"
};

struct ContainerCheckSpec {
  std::string name;
  std::string socket = "/var/run/docker.sock";
  HealthStatus unhealthy_status = HealthStatus::Down;
  HealthStatus starting_status = HealthStatus::Degraded;
  std::optional<std::uint32_t> max_restarts;
};

struct ExecCheckSpec {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;  // added to the agent's environment
  std::string working_dir;
  std::size_t max_output = 4096;
};

// kind: scan — a security scanner run on a long interval; its JSON report on stdout is parsed
// (agent/probe/scan_probe.hpp) and travels to the hub with the result.
struct ScanCheckSpec {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_dir;
  std::string format = "trivy";    // the report format; only Trivy's JSON (SchemaVersion 2)
  std::vector<int> exit_codes{0};  // exit codes after which stdout holds a report
  std::optional<Severity> fail_on = Severity::Critical;  // DOWN at or above (nullopt: never)
  std::optional<Severity> warn_on = Severity::High;      // DEGRADED at or above
  std::size_t max_output = 8 << 20;  // bytes of stdout read; a longer report is refused
};

struct DiskCheckSpec {
  std::string path;
  double warn_free_percent = 10;  // DEGRADED below this much free space (0: off)
  double crit_free_percent = 5;   // DOWN below this
  std::uint64_t warn_free_bytes = 0;  // 0: off
  std::uint64_t crit_free_bytes = 0;
  double warn_free_inodes_percent = 10;
  double crit_free_inodes_percent = 5;
  bool write_test = false;
  std::string write_dir;  // default: path
};

struct LogPattern {
  std::string name;
  std::string regex;
};

struct LogCheckSpec {
  std::string path;
  // Level name -> regex; a line counts for the first level whose regex matches.
  std::vector<LogPattern> levels;
  std::vector<LogPattern> patterns;
  std::uint32_t top = 5;
  // Per-minute rate thresholds per level or pattern name ("error" -> 10).
  std::map<std::string, double> warn_per_minute;
  std::map<std::string, double> crit_per_minute;
  bool from_start = false;  // first run reads the existing file instead of starting at its end
};

struct SystemdCheckSpec {
  std::string unit;
};

struct HeartbeatCheckSpec {
  std::chrono::milliseconds ttl{60000};
};

}  // namespace vitals::agent
