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

namespace vitals::agent {

struct NatsSettings {
  std::string url = "nats://127.0.0.1:4222";
  std::string credentials_file;  // empty: none
  std::string user;              // empty: none
  std::string password_file;     // read at start; never inline in the YAML
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
               ExecCheckSpec, DiskCheckSpec, LogCheckSpec, SystemdCheckSpec, HeartbeatCheckSpec>
      spec;

  // Human-readable target: the URL for http, "host:port" for tcp, the path for disk, ...
  std::string target() const;
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
  std::string source_file;
  std::string config_hash;  // of the file text; sent in Registration
};

}  // namespace vitals::agent
