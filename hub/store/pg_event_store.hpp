#pragma once
// EventStore on PostgreSQL: one connection owned by the ingest thread. Per commit: COPY the
// results into a session TEMP staging table, INSERT .. SELECT .. ON CONFLICT DO NOTHING into
// health_checks (replays dropped), upsert the newest result per check into `checks`, apply the
// catalog events, COMMIT.
#include <spdlog/logger.h>

#include <memory>
#include <optional>

#include "hub/store/event_store.hpp"
#include "hub/store/partitions.hpp"
#include "hub/store/pg_connection.hpp"

namespace vitals::hub::store {

class PgEventStore final : public EventStore {
 public:
  PgEventStore(PgConnectOptions options, int retention_days,
               std::shared_ptr<spdlog::logger> logger);
  ~PgEventStore() override;

  // Opens the connection (also done lazily by commit/maintain/reconnect).
  Status connect();
  Result<CommitReport> commit(const IngestBatch& batch) override;
  Status maintain(SystemTime now) override;
  Status reconnect() override;

 private:
  Status ensureSession();
  Status ensurePartitions(const IngestBatch& batch);
  Status writeCatalog(const IngestBatch& batch);
  Result<CommitReport> writeResults(const IngestBatch& batch);

  PgConnectOptions options_;
  int retention_days_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<PgConnection> conn_;
  std::unique_ptr<PgPartitions> partitions_;
  std::optional<std::uint64_t> staging_generation_;  // connection generation with the temp table
};

// The newest result of each (agent, check) in a batch: the highest seq within a boot, and
// across boots the later observed_at. Sorted by (agent, check). Exposed for tests.
std::vector<const CheckResult*> newestPerCheck(const std::vector<CheckResult>& results);

// The COPY text line of one result (exposed for tests): 17 tab-separated columns ending in '\n'.
void appendCopyRow(std::string& out, const CheckResult& r, SystemTime received_at);

}  // namespace vitals::hub::store
