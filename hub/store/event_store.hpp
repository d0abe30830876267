#pragma once
// Where ingest writes: the seam between the batch/ack logic and PostgreSQL. PgEventStore is the
// real one; tests use an in-memory fake.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/error/result.hpp"
#include "common/model/check_result.hpp"

namespace vitals::hub::store {

// An agent's clean stop (vitals.agent.<a>.deregister).
struct Deregistration {
  std::string agent_id;
  std::string boot_id;
  SystemTime sent_at{};
};

using CatalogEvent = std::variant<Registration, Heartbeat, Deregistration>;

// What one fetch turned into. Catalog events are applied first, in arrival order, then results.
struct IngestBatch {
  SystemTime received_at{};  // hub clock
  std::vector<CatalogEvent> catalog;
  std::vector<CheckResult> results;
  bool empty() const { return catalog.empty() && results.empty(); }
};

struct CommitReport {
  std::uint64_t inserted = 0;    // new rows in health_checks
  std::uint64_t duplicates = 0;  // results already stored (replays)
};

// The newest result of each (agent, check) in a batch: the highest seq within a boot, and
// across boots the later observed_at. Sorted by (agent, check).
std::vector<const CheckResult*> newestPerCheck(const std::vector<CheckResult>& results);

// Used by the ingest thread only.
class EventStore {
 public:
  virtual ~EventStore() = default;
  // Writes the batch in ONE transaction: all of it or nothing. Calling it again with the same
  // batch is harmless (the event key drops replays). Errors: "db.unavailable" (retry after a
  // reconnect), "db.data" (these rows are refused and will be refused again), "db.error".
  [[nodiscard]] virtual Result<CommitReport> commit(const IngestBatch& batch) = 0;
  // Partition upkeep (create upcoming days, drop expired ones); between batches.
  [[nodiscard]] virtual Status maintain(SystemTime now) = 0;
  // Re-establishes the connection if it is broken (no-op when healthy).
  [[nodiscard]] virtual Status reconnect() = 0;
};

}  // namespace vitals::hub::store
