#pragma once
// EventStore on PostgreSQL: one connection owned by the ingest thread. Per commit, in one
// transaction: COPY the results straight into health_checks; if the unique key refuses a row
// (a replay), roll back and COPY them into a session TEMP staging table instead and
// INSERT .. SELECT .. ON CONFLICT DO NOTHING (replays dropped). Then upsert the newest result
// per check into `checks`, apply the catalog events, COMMIT.
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
  Result<CommitReport> commitOnce(const IngestBatch& batch, bool direct);
  Result<CommitReport> writeResults(const IngestBatch& batch, bool direct);

  PgConnectOptions options_;
  int retention_days_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<PgConnection> conn_;
  std::unique_ptr<PgPartitions> partitions_;
  std::optional<std::uint64_t> staging_generation_;
};


// The COPY text line of one result (exposed for tests): 17 tab-separated columns ending in '\n'.
void appendCopyRow(std::string& out, const CheckResult& r, SystemTime received_at);
// The same with received_at already formatted, for the per-batch loop.
void appendCopyRow(std::string& out, const CheckResult& r, std::string_view received_at,
                   TimestampWriter& ts);

}  // namespace vitals::hub::store
