#pragma once
// The audit trail's read side: filtered, newest first, keyset-paged on (at, id).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "hub/store/pg_connection.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::audit {

struct AuditRow {
  std::int64_t id = 0;
  std::chrono::system_clock::time_point at{};
  std::string actor;
  std::string action;
  std::string target;
  std::string parameters_json;
  std::string outcome;
};

struct AuditQuery {
  std::optional<std::chrono::system_clock::time_point> since;  // at >= since
  std::optional<std::chrono::system_clock::time_point> until;  // at < until
  std::string actor;                                           // exact; "" = any
  std::string action;  // exact, or a prefix when it ends with '*' ("repair.*")
  std::string target;  // exact; "" = any
  int limit = 100;
  // Keyset cursor: rows strictly older than (at_us, id) in (at DESC, id DESC) order.
  std::optional<std::pair<std::int64_t, std::int64_t>> before;
};

// Returns up to limit + 1 rows (the extra one tells the caller there is a next page).
Result<std::vector<AuditRow>> queryAudit(store::PgConnection& conn, const AuditQuery& q);

// The API's read side of the trail (the handler renders the rows); tests use a fake.
class AuditReader {
 public:
  virtual ~AuditReader() = default;
  // As queryAudit: up to limit + 1 rows, newest first.
  virtual Result<std::vector<AuditRow>> query(const AuditQuery& q) = 0;
};

// queryAudit on a connection leased from the pool for the call.
class PgAuditReader final : public AuditReader {
 public:
  explicit PgAuditReader(store::PgPool& pool) : pool_(pool) {}
  Result<std::vector<AuditRow>> query(const AuditQuery& q) override;

 private:
  store::PgPool& pool_;
};

}  // namespace vitals::hub::audit
