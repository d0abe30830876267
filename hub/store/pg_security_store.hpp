#pragma once
// Security scans in PostgreSQL (schema 0015): written by ingest inside the batch's transaction,
// read by the API. See docs/security-scans.md.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "common/model/check_result.hpp"
#include "hub/store/pg_connection.hpp"
#include "hub/store/security_diff.hpp"

namespace vitals::hub::store {

// Ingest: stores the scan report of every result that carries one, on c inside the caller's
// transaction. A result whose event key is already stored is skipped (replay). Each new scan's
// findings are compared with the newest earlier scan (by observed_at) of the same agent and check.
// Returns how many scans were stored.
Result<std::uint64_t> writeScans(PgConnection& c, const std::vector<CheckResult>& results,
                                 SystemTime received_at);

struct ScanRecord {
  std::int64_t id = 0;
  std::string agent_id;
  std::string service;
  std::string check;
  std::string target;
  std::string scanner;
  std::string status;
  std::string message;
  SystemTime observed_at{};
  SystemTime received_at{};
  std::array<std::int64_t, 5> counts{};  // Severity order
  bool truncated = false;
  std::int64_t new_count = 0;
  std::int64_t fixed_count = 0;
};

struct ScanFilter {
  std::string service;  // "" = all
  int limit = 100;
  std::int64_t before_id = 0;  // 0 = from the newest
};

// Newest first (by id).
Result<std::vector<ScanRecord>> listScans(PgConnection& c, const ScanFilter& filter);
Result<std::optional<ScanRecord>> getScan(PgConnection& c, std::int64_t id);

struct StoredFinding {
  std::int64_t scan_id = 0;
  std::string agent_id;
  std::string service;
  std::string check;
  FindingRecord record;
};

// Where a findings page ends: the last row's sort key.
struct FindingCursor {
  int severity_rank = 0;  // 0 critical .. 4 unknown
  std::int64_t scan_id = 0;
  std::string vulnerability_id;
  std::string package;
  std::string target;
  std::string installed_version;
};

struct FindingFilter {
  std::string service;   // "" = all
  std::string severity;  // "" = all
  std::string status;    // "" = all
  int limit = 1000;
  std::optional<FindingCursor> after;
};

// The findings of one scan, most severe first.
Result<std::vector<StoredFinding>> scanFindings(PgConnection& c, std::int64_t scan_id);
// The current findings: those of the newest scan of every (agent, check), most severe first.
Result<std::vector<StoredFinding>> currentFindings(PgConnection& c, const FindingFilter& filter);
FindingCursor cursorOf(const StoredFinding& f);

}  // namespace vitals::hub::store
