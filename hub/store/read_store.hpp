#pragma once
// What the API and the start-up rebuild read from the database. PgReadStore is the real one
// (on the read pool, never the ingest connection); API tests use a fake.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "common/model/check_result.hpp"
#include "common/model/status.hpp"

namespace vitals::hub::store {

struct StoredResult {
  CheckResult result;
  SystemTime received_at{};
};

// Position in a newest-first listing: (observed_at, agent_id, boot_id, seq), all descending.
struct HistoryCursor {
  SystemTime observed_at{};
  std::string agent_id;
  std::string boot_id;
  std::uint64_t seq = 0;
  bool operator==(const HistoryCursor&) const = default;
};

struct HistoryQuery {
  std::string service;  // one service by exact name; empty: every service (the filters below)
  std::optional<SystemTime> since;  // observed_at >= since
  std::optional<SystemTime> until;  // observed_at < until
  int limit = 100;
  std::optional<HistoryCursor> after;  // continue below this position
  // Filters of the cross-service history; each one left empty matches everything.
  std::vector<std::string> service_globs;  // any of these ('*', '?') matches the service name
  std::vector<HealthStatus> statuses;      // any of these
  std::string agent_id;
  std::string kind;
};

struct HistoryPage {
  std::vector<StoredResult> results;  // newest first
  std::optional<HistoryCursor> next;  // set when more rows follow
};

struct AgentRecord {
  std::string agent_id;
  std::string hostname;
  std::string version;
  std::string boot_id;
  std::map<std::string, std::string> labels;
  SystemTime first_seen{};
  SystemTime last_seen{};
  std::optional<SystemTime> registered_at;
  std::optional<SystemTime> deregistered_at;
  int check_count = 0;
  std::optional<std::chrono::milliseconds> heartbeat_interval;
  std::optional<SystemTime> unreachable_since;          // past its keepalive deadline since
  std::optional<std::chrono::milliseconds> clock_skew;  // agent - hub, when beyond the threshold
  std::optional<SystemTime> revoked_at;                 // its enrolled NATS identity was revoked
  // Its named actions; with parameters and limits when actions_described (agents that sent
  // names only have just the names).
  std::vector<ActionSpec> actions;
  bool actions_described = false;
};

// A row of the checks table: the registered spec and the newest result, if any.
struct StoredCheck {
  std::string agent_id;
  CheckSpec spec;
  std::optional<CheckResult> last;
};

// Thread-safe: called from HTTP worker threads.
class ReadStore {
 public:
  virtual ~ReadStore() = default;
  [[nodiscard]] virtual Result<HistoryPage> history(const HistoryQuery& query) = 0;
  [[nodiscard]] virtual Result<std::vector<AgentRecord>> agents() = 0;
  // One agent (not retired); nullopt when unknown.
  [[nodiscard]] virtual Result<std::optional<AgentRecord>> agent(const std::string& agent_id) = 0;
  [[nodiscard]] virtual Result<std::vector<StoredCheck>> checks() = 0;
  // A cheap round trip, for /readyz.
  [[nodiscard]] virtual Status ping() = 0;
};

}  // namespace vitals::hub::store
