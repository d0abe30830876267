#pragma once
// The agent's configuration as an immutable value. Built only by the loader
// (agent/config/config_loader.hpp), which validates everything first; code that receives an
// AgentConfig may rely on every rule documented in docs/configuration-agent.md.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "agent/config/kind_specs.hpp"
#include "common/log/log.hpp"
#include "common/nats/nats_settings.hpp"

namespace vitals::agent {

// `nats:`: the keys both binaries share (common/nats/nats_settings.hpp) and the agent's own.
// password_file is read at start, not by the loader.
struct NatsSettings : nats::NatsSettings {
  std::chrono::milliseconds publish_timeout{2000};
};

struct LogSettings {
  std::string level = "info";
  log::Format format = log::Format::Auto;
};

struct PublishSettings {
  std::size_t max_batch = 100;
  std::chrono::milliseconds max_delay{200};
};

// Where result batches wait until JetStream has stored them (agent/spool/).
struct SpoolSettings {
  std::string dir;  // empty: in memory only (lost on restart)
  std::uint64_t max_bytes = 64ULL << 20;
  std::uint32_t drain_rate = 50;  // batches per second while a backlog drains
};

struct CheckConfig {
  std::string name;
  std::string service;
  std::string kind;  // "http", "tcp", ...; matches the spec alternative
  std::chrono::milliseconds interval{30000};
  std::chrono::milliseconds timeout{5000};
  std::uint32_t retries = 3;
  std::uint32_t recover = 1;
  std::chrono::milliseconds retry_backoff{1000};
  std::optional<std::chrono::milliseconds> degraded_latency;
  double flap_high = 50.0;  // percent of state changes to start flapping
  double flap_low = 25.0;   // ... and to stop
  bool heavy = false;       // serialised with other heavy checks of the same target
  std::string source_file;  // the file (main config or include) that defines the check
  // The check's YAML and the defaults it was read with: reload keeps a check whose definition
  // did not change.
  std::string definition;
  std::variant<HttpCheckSpec, TcpCheckSpec, PostgresCheckSpec, RedisCheckSpec, ContainerCheckSpec,
               ExecCheckSpec, DiskCheckSpec, LogCheckSpec, SystemdCheckSpec, HeartbeatCheckSpec,
               ScanCheckSpec>
      spec;

  // Human-readable target: the URL for http, "host:port" for tcp, the path for disk, ...
  std::string target() const;
};

// A named repair action (reliability rule 15): the hub may ask for the name; the command line is
// fixed here. argv items may hold {param} placeholders, replaced by validated values as argv
// text (never through a shell). See agent/actions/.
struct ActionParam {
  std::string name;
  std::string pattern;  // ECMAScript regex; the whole value must match
};

// One piece of an argv template item: literal text, or a parameter's value.
struct ArgvPiece {
  bool is_param = false;
  std::string text;  // the literal, or the parameter name
};

struct ActionConfig {
  std::string name;
  std::vector<std::string> argv;                      // as written, with placeholders
  std::vector<std::vector<ArgvPiece>> argv_template;  // argv parsed (same length)
  std::chrono::milliseconds timeout{30000};
  std::vector<ActionParam> params;  // sorted by name
  std::uint32_t max_concurrent = 1;
  std::chrono::milliseconds cooldown{0};  // minimum time between two starts
  std::size_t max_output = 64 * 1024;
};

// Per-service settings that are not checks: the log file `logs` commands read.
struct ServiceSettings {
  std::string log_file;
};

struct AgentConfig {
  std::string agent_id;
  std::map<std::string, std::string> labels;
  NatsSettings nats;
  std::chrono::milliseconds heartbeat_interval{10000};
  LogSettings log;
  PublishSettings publish;
  SpoolSettings spool;
  std::vector<CheckConfig> checks;
  std::vector<std::string> include_files;  // matched by include/conf_d, in merge order
  // 127.0.0.1:PORT for pushed heartbeats (POST /heartbeat/<check>); empty: no listener.
  std::string heartbeat_listen;
  // GET /metrics on its own listener (HOST:PORT, any address; no other path), so metrics do not
  // depend on the heartbeat endpoint, which is loopback only. Empty: off.
  std::string metrics_listen;
  std::vector<ActionConfig> actions;                // sorted by name
  std::map<std::string, ServiceSettings> services;  // by service name
  std::string source_file;
  std::string config_hash;  // of the file text; sent in Registration
  // target_allowlist as a guard policy (never null once loaded): checks with restrict_targets
  // and the checks managed through the hub's API use it.
  std::shared_ptr<const net::GuardPolicy> target_allowlist;
};

}  // namespace vitals::agent
