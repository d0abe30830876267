#pragma once
// The tables the live stream follows (TableTail), read from PostgreSQL:
//   - alert_events (each incident's timeline: opened, notified, acked, resolved, ...) as
//     "incident" events;
//   - the repair rows of audit_log (decisions, executions, results) as "repair" events, and the
//     approval steps (request-approval, approve, reject, expire) as "approval" events.
#include <chrono>

#include "hub/store/pg_pool.hpp"
#include "hub/stream/table_tail.hpp"

namespace vitals::hub::stream {

class PgIncidentEvents final : public TailSource {
 public:
  explicit PgIncidentEvents(store::PgPool& pool) : pool_(pool) {}
  Result<std::vector<TailRow>> after(std::int64_t after, int limit) override;
  Result<std::int64_t> newestId() override;

 private:
  store::PgPool& pool_;
};

class PgRepairAudit final : public TailSource {
 public:
  explicit PgRepairAudit(store::PgPool& pool) : pool_(pool) {}
  Result<std::vector<TailRow>> after(std::int64_t after, int limit) override;
  Result<std::int64_t> newestId() override;

 private:
  store::PgPool& pool_;
};

// "repair.request-approval" and the other approval steps are "approval" events; the rest of
// "repair.*" (but not policy edits) are "repair" events.
std::string_view repairAuditKind(std::string_view action);

}  // namespace vitals::hub::stream
