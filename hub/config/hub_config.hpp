#pragma once
// The hub's configuration: an immutable value built by one strict validator, used both at start
// and by `vitals-hub --check-config`. Every key is documented in docs/configuration-hub.md.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/config/config_sources.hpp"
#include "common/config/yaml_reader.hpp"
#include "common/error/result.hpp"
#include "common/log/log.hpp"
#include "common/nats/nats_settings.hpp"
#include "hub/alerts/alert_settings.hpp"
#include "hub/events/events_settings.hpp"
#include "hub/federation/federation_settings.hpp"
#include "hub/notify/notify_settings.hpp"
#include "hub/policy/liveness.hpp"
#include "hub/policy/service_rule.hpp"
#include "hub/preflight/preflight_settings.hpp"

namespace vitals::hub {

// `nats:` (the reader and the connect options are shared with the agent: common/nats/).
using NatsSettings = nats::NatsSettings;

struct DatabaseSettings {
  std::string url = "host=127.0.0.1 port=5432 dbname=vitals user=vitals";  // conninfo or URI
  std::string password;  // secret: from password_file or VITALS_DB_PASSWORD; empty = none
  int pool_size = 4;     // connections for API reads (ingest has its own)
  std::chrono::milliseconds connect_timeout{5000};
};

struct HttpSettings {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 = any free port (the bound port is logged)
  // `websocket_listen`: GET /api/v1/ws as a WebSocket on its own port (cpp-httplib, which
  // serves `listen`, cannot switch a connection to WebSocket). Port -1 = off (the default).
  std::string websocket_host = "127.0.0.1";
  int websocket_port = -1;
};

struct IngestSettings {
  std::string stream = "VITALS";
  std::string durable = "vitals-hub";
  int batch_size = 500;
  std::chrono::milliseconds fetch_timeout{500};
  // A batch is committed once batch_size messages are gathered or max_delay after its first
  // message arrived, whichever comes first (0 = as soon as the ingest thread is free).
  std::chrono::milliseconds max_delay{2};
  std::chrono::milliseconds ack_wait{30000};
  std::chrono::milliseconds stream_max_age{std::chrono::hours{24 * 7}};
  std::int64_t stream_max_bytes = 1LL << 30;  // -1 = unlimited
  std::chrono::milliseconds duplicate_window{std::chrono::minutes{2}};
};

// Keepalive and clock skew (`staleness:`).
struct StalenessSettings {
  policy::LivenessSettings liveness;  // missed_heartbeats, fallback, skew threshold
  std::chrono::milliseconds sweep_interval{5000};
};

struct UptimeSettings {
  double degraded_weight = 0.5;  // degraded time counts this much as up
};

// `api:`: REST API authentication, limits and TLS (docs/configuration-hub.md, docs/security.md).
struct ApiSettings {
  bool auth_required = true;              // auth: required | disabled
  bool metrics_public = true;             // /metrics without a key
  std::int64_t max_body_bytes = 1 << 20;  // larger request bodies get 413
  int rate_per_second = 20;               // per API key; 0 = unlimited
  int rate_burst = 40;
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds write_timeout{30000};
  std::chrono::milliseconds key_cache_ttl{5000};  // how long a revoked key may still work
  std::string tls_cert_file;                      // both set: the listener speaks HTTPS only
  std::string tls_key_file;
};

// `repair:`: auto-repair guardrails that hold for every service (docs/configuration-hub.md).
struct RepairSettings {
  bool enabled = true;  // false: transitions never trigger repairs (quick actions still work)
  int rate_limit = 10;  // executions of all services per rate_window, across hubs
  std::chrono::milliseconds rate_window{std::chrono::hours{1}};
  std::chrono::milliseconds approval_expiry{std::chrono::minutes{30}};
  std::chrono::milliseconds command_timeout{60000};  // waiting for an agent's reply
  std::chrono::milliseconds sweep_interval{1000};    // expiry and approved-row pickup
  std::vector<std::string> notify_channels;          // escalations, approval requests and expiries
  // `default_policy:` what a created default policy holds.
  bool default_enabled = false;
  bool default_dry_run = false;
  bool default_require_approval = false;
  int default_max_attempts = 3;
  std::chrono::milliseconds default_cooldown{std::chrono::minutes{5}};
  int default_circuit_breaker = 3;
  std::chrono::milliseconds default_verify_after{30000};
};

// Several hubs (replicas) per site (`replica:`).
struct ReplicaSettings {
  std::string id;     // this replica; empty = hub_id. Distinct per replica.
  std::string group;  // replicas that share state (vitals.hub.<group>.state); empty = hub_id
  std::chrono::milliseconds lease_interval{1000};  // job lease renewal and takeover checks
};

// Log statistics (`log_stats:`): the hourly/daily rollup job and the log-rate thresholds set
// through the API (docs/log-statistics.md).
struct LogStatsSettings {
  bool enabled = true;                        // run the rollup job (under its job lease)
  std::chrono::milliseconds interval{60000};  // how often the job looks for due periods
  int retention_days = 90;                    // rollups and job executions kept
  std::chrono::milliseconds backfill{24 * 3600 * 1000LL};  // first run: how far back
  int top_messages = 20;                              // top messages kept per service and period
  std::chrono::milliseconds threshold_refresh{5000};  // stored thresholds re-read this often
};

// Agent enrollment (`enrollment:`; absent = the enrollment routes are not served). The hub owns
// a nats-server users file that nats-server.conf includes; docs/security.md ("Enrollment").
struct EnrollmentSettings {
  bool enabled = false;
  std::string nats_users_file;                   // required: the file the hub rewrites
  std::vector<std::string> nats_reload_command;  // argv run after each rewrite (empty: none)
  std::string nats_static_users_file;            // users kept verbatim in the file (optional)
  std::string hub_nkey;        // the hub's own entry; default nats.nkey (empty: no hub entry)
  std::string agent_nats_url;  // given to enrolled agents; default nats.url
  std::chrono::milliseconds token_max_ttl{7 * 24 * 3600 * 1000LL};
};

struct HubConfig {
  std::string hub_id = "hub-main";
  NatsSettings nats;
  DatabaseSettings database;
  HttpSettings http;
  IngestSettings ingest;
  int retention_days = 30;
  int uptime_retention_days = 400;  // uptime_records and uptime_hourly
  policy::ServiceRules services;    // per-service status rules (`services:`)
  StalenessSettings staleness;
  policy::LifecycleSettings agents;  // restart grace and forget_after (`agents:`)
  UptimeSettings uptime;
  notify::NotifySettings notify;           // channels and delivery retries (`notify:`)
  alerts::AlertSettings alerts;            // alert policy defaults and timing (`alerts:`)
  preflight::PreflightSettings preflight;  // the pre-flight checklist (`preflight:`)
  events::EventsSettings events;           // inbound events and their rules (`events:`)
  ApiSettings api;                         // REST API security and limits (`api:`)
  RepairSettings repair;                   // auto-repair guardrails (`repair:`)
  ReplicaSettings replica;                 // replicas per site (`replica:`); ids default to hub_id
  federation::FederationSettings federation;  // summaries and the global view (`federation:`)
  LogStatsSettings log_stats;                 // log statistics rollups (`log_stats:`)
  EnrollmentSettings enrollment;  // agent enrollment and the NATS users file (`enrollment:`)
  log::LogOptions log;
};

// Where secrets and the files the config names come from (common/config/config_sources.hpp).
using ConfigSources = config::ConfigSources;

// Validates a parsed YAML document; problems are appended, and a config is returned only when
// there were none.
std::optional<HubConfig> readHubConfig(config::YamlReader& root, const ConfigSources& sources);
// Loads and validates a file (problems carry file:line: path: message).
std::optional<HubConfig> loadHubConfig(const std::string& path, const ConfigSources& sources,
                                       config::Problems& problems);
// Same from text (tests, --check-config of stdin later).
std::optional<HubConfig> parseHubConfig(const std::string& text, const std::string& file,
                                        const ConfigSources& sources, config::Problems& problems);

// "host:port" / "[v6]:port" -> host, port; false when malformed or port is not 0..65535.
bool parseListen(const std::string& text, std::string& host, int& port);
// Byte sizes: an integer of bytes, or a number with B, KB, MB, GB, TB (x1000) or KiB, MiB, GiB,
// TiB (x1024); "unlimited" or -1 = -1.
std::optional<std::int64_t> parseByteSize(const std::string& text);

}  // namespace vitals::hub
