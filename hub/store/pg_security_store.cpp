#include "hub/store/pg_security_store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace vitals::hub::store {
namespace {

using nlohmann::json;

// PostgreSQL text refuses NUL; protobuf strings may carry it.
std::string noNul(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != '\0') {
      out += c;
    }
  }
  return out;
}

constexpr const char* kSeverityRank =
    "(CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 "
    "WHEN 'low' THEN 3 ELSE 4 END)";

constexpr const char* kScanColumns =
    "id, agent_id, service, check_name, target, scanner, status, message, " VITALS_EPOCH_US(
        "observed_at") ", " VITALS_EPOCH_US("received_at") ", critical, high, medium, low, "
                                                           "unknown, truncated, new_count, "
                                                           "fixed_count";

ScanRecord scanAt(const PgResult& r, int i) {
  ScanRecord s;
  s.id = r.int64(i, 0);
  s.agent_id = r.str(i, 1);
  s.service = r.str(i, 2);
  s.check = r.str(i, 3);
  s.target = r.str(i, 4);
  s.scanner = r.str(i, 5);
  s.status = r.str(i, 6);
  s.message = r.str(i, 7);
  s.observed_at = fromEpochMicros(r.get(i, 8));
  s.received_at = fromEpochMicros(r.get(i, 9));
  s.counts[static_cast<std::size_t>(Severity::Critical)] = r.int64(i, 10);
  s.counts[static_cast<std::size_t>(Severity::High)] = r.int64(i, 11);
  s.counts[static_cast<std::size_t>(Severity::Medium)] = r.int64(i, 12);
  s.counts[static_cast<std::size_t>(Severity::Low)] = r.int64(i, 13);
  s.counts[static_cast<std::size_t>(Severity::Unknown)] = r.int64(i, 14);
  s.truncated = r.boolean(i, 15);
  s.new_count = r.int64(i, 16);
  s.fixed_count = r.int64(i, 17);
  return s;
}

// f.* columns first, then the scan's agent, service and check.
constexpr const char* kFindingColumns =
    "f.scan_id, f.target, f.vulnerability_id, f.package, f.installed_version, f.fixed_version, "
    "f.severity, f.title, f.status, " VITALS_EPOCH_US("f.first_seen") ", " VITALS_EPOCH_US(
        "f.last_seen") ", s.agent_id, s.service, s.check_name";

FindingStatus statusFrom(std::string_view s) {
  if (s == "open") return FindingStatus::Open;
  if (s == "fixed") return FindingStatus::Fixed;
  return FindingStatus::New;
}

StoredFinding findingAt(const PgResult& r, int i) {
  StoredFinding f;
  f.scan_id = r.int64(i, 0);
  f.record.finding.target = r.str(i, 1);
  f.record.finding.vulnerability_id = r.str(i, 2);
  f.record.finding.package = r.str(i, 3);
  f.record.finding.installed_version = r.str(i, 4);
  f.record.finding.fixed_version = r.str(i, 5);
  f.record.finding.severity = parseSeverity(r.get(i, 6)).value_or(Severity::Unknown);
  f.record.finding.title = r.str(i, 7);
  f.record.status = statusFrom(r.get(i, 8));
  f.record.first_seen = fromEpochMicros(r.get(i, 9));
  f.record.last_seen = fromEpochMicros(r.get(i, 10));
  f.agent_id = r.str(i, 11);
  f.service = r.str(i, 12);
  f.check = r.str(i, 13);
  return f;
}

Result<std::vector<FindingRecord>> previousFindings(PgConnection& c, const CheckResult& r,
                                                    std::int64_t scan_id) {
  auto prev = c.exec(
      "SELECT id FROM security_scans WHERE agent_id = $1 AND check_name = $2 AND id <> $3 "
      "AND observed_at <= $4::timestamptz ORDER BY observed_at DESC, id DESC LIMIT 1",
      {noNul(r.agent_id), noNul(r.check), std::to_string(scan_id), pgTimestamp(r.observed_at)});
  if (!prev.ok()) {
    return prev.error();
  }
  std::vector<FindingRecord> out;
  if (prev->rows() == 0) {
    return out;
  }
  auto rows = c.exec(std::string("SELECT ") + kFindingColumns +
                         " FROM security_findings f JOIN security_scans s ON s.id = f.scan_id "
                         "WHERE f.scan_id = $1 AND f.status <> 'fixed'",
                     {prev->str(0, 0)});
  if (!rows.ok()) {
    return rows.error();
  }
  out.reserve(static_cast<std::size_t>(rows->rows()));
  for (int i = 0; i < rows->rows(); ++i) {
    out.push_back(findingAt(*rows, i).record);
  }
  return out;
}

Status writeScan(PgConnection& c, const CheckResult& r, const std::string& received,
                 std::uint64_t& stored) {
  const ScanReport& s = *r.scan;
  auto count = [&](Severity v) { return std::to_string(s.count(v)); };
  auto inserted = c.exec(
      "INSERT INTO security_scans (agent_id, boot_id, seq, service, check_name, target, scanner, "
      "status, message, observed_at, received_at, critical, high, medium, low, unknown, "
      "truncated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
      "$17) ON CONFLICT (agent_id, boot_id, seq) DO NOTHING RETURNING id",
      {noNul(r.agent_id), noNul(r.boot_id), std::to_string(r.seq), noNul(r.service), noNul(r.check),
       noNul(s.artifact), noNul(s.scanner), std::string(toString(r.raw_status)), noNul(r.message),
       pgTimestamp(r.observed_at), received, count(Severity::Critical), count(Severity::High),
       count(Severity::Medium), count(Severity::Low), count(Severity::Unknown),
       s.truncated ? "true" : "false"});
  if (!inserted.ok()) {
    return inserted.error();
  }
  if (inserted->rows() == 0) {
    return okStatus();  // a replay: stored with its first delivery
  }
  ++stored;
  const std::int64_t id = inserted->int64(0, 0);
  auto previous = previousFindings(c, r, id);
  if (!previous.ok()) {
    return previous.error();
  }
  const auto rows = diffFindings(*previous, s.findings, r.observed_at);
  std::int64_t added = 0;
  std::int64_t fixed = 0;
  json list = json::array();
  for (const auto& f : rows) {
    added += f.status == FindingStatus::New ? 1 : 0;
    fixed += f.status == FindingStatus::Fixed ? 1 : 0;
    list.push_back({{"target", noNul(f.finding.target)},
                    {"vulnerability_id", noNul(f.finding.vulnerability_id)},
                    {"package", noNul(f.finding.package)},
                    {"installed_version", noNul(f.finding.installed_version)},
                    {"fixed_version", noNul(f.finding.fixed_version)},
                    {"severity", std::string(toString(f.finding.severity))},
                    {"title", noNul(f.finding.title)},
                    {"status", std::string(toString(f.status))},
                    {"first_seen", pgTimestamp(f.first_seen)},
                    {"last_seen", pgTimestamp(f.last_seen)}});
  }
  if (!rows.empty()) {
    auto findings = c.exec(
        "INSERT INTO security_findings (scan_id, target, vulnerability_id, package, "
        "installed_version, fixed_version, severity, title, status, first_seen, last_seen) "
        "SELECT $1, x.target, x.vulnerability_id, x.package, x.installed_version, "
        "x.fixed_version, x.severity, x.title, x.status, x.first_seen, x.last_seen "
        "FROM jsonb_to_recordset($2::jsonb) AS x(target text, vulnerability_id text, "
        "package text, installed_version text, fixed_version text, severity text, title text, "
        "status text, first_seen timestamptz, last_seen timestamptz)",
        {std::to_string(id), list.dump(-1, ' ', false, json::error_handler_t::replace)});
    if (!findings.ok()) {
      return findings.error();
    }
  }
  auto counted = c.exec("UPDATE security_scans SET new_count = $2, fixed_count = $3 WHERE id = $1",
                        {std::to_string(id), std::to_string(added), std::to_string(fixed)});
  if (!counted.ok()) {
    return counted.error();
  }
  return okStatus();
}

}  // namespace

Result<std::uint64_t> writeScans(PgConnection& c, const std::vector<CheckResult>& results,
                                 SystemTime received_at) {
  std::vector<const CheckResult*> scans;
  for (const auto& r : results) {
    if (r.scan) {
      scans.push_back(&r);
    }
  }
  std::uint64_t stored = 0;
  if (scans.empty()) {
    return stored;
  }
  // Oldest first, so a batch holding two scans of one check diffs the second against the first.
  std::stable_sort(scans.begin(), scans.end(), [](const CheckResult* a, const CheckResult* b) {
    return a->observed_at < b->observed_at;
  });
  const std::string received = pgTimestamp(received_at);
  for (const CheckResult* r : scans) {
    if (auto s = writeScan(c, *r, received, stored); !s.ok()) {
      return s.error();
    }
  }
  return stored;
}

Result<std::vector<ScanRecord>> listScans(PgConnection& c, const ScanFilter& f) {
  auto r = c.exec(std::string("SELECT ") + kScanColumns +
                      " FROM security_scans WHERE ($1 = '' OR service = $1) "
                      "AND ($2::bigint = 0 OR id < $2::bigint) ORDER BY id DESC LIMIT $3::int",
                  {f.service, std::to_string(f.before_id), std::to_string(f.limit)});
  if (!r.ok()) {
    return r.error();
  }
  std::vector<ScanRecord> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(scanAt(*r, i));
  }
  return out;
}

Result<std::optional<ScanRecord>> getScan(PgConnection& c, std::int64_t id) {
  auto r = c.exec(std::string("SELECT ") + kScanColumns + " FROM security_scans WHERE id = $1",
                  {std::to_string(id)});
  if (!r.ok()) {
    return r.error();
  }
  if (r->rows() == 0) {
    return std::optional<ScanRecord>{};
  }
  return std::optional<ScanRecord>{scanAt(*r, 0)};
}

Result<std::vector<StoredFinding>> scanFindings(PgConnection& c, std::int64_t scan_id) {
  auto r = c.exec(std::string("SELECT ") + kFindingColumns +
                      " FROM security_findings f JOIN security_scans s ON s.id = f.scan_id "
                      "WHERE f.scan_id = $1 ORDER BY " +
                      kSeverityRank +
                      ", f.vulnerability_id, f.package, f.target, "
                      "f.installed_version",
                  {std::to_string(scan_id)});
  if (!r.ok()) {
    return r.error();
  }
  std::vector<StoredFinding> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(findingAt(*r, i));
  }
  return out;
}

Result<std::vector<StoredFinding>> currentFindings(PgConnection& c, const FindingFilter& f) {
  PgParams params{f.service, f.severity, f.status, std::to_string(f.limit)};
  std::string after = "true";
  if (f.after) {
    after = std::string("(") + kSeverityRank +
            ", f.scan_id, f.vulnerability_id, f.package, f.target, f.installed_version) > "
            "($5::int, $6::bigint, $7, $8, $9, $10)";
    params.insert(params.end(), {std::to_string(f.after->severity_rank),
                                 std::to_string(f.after->scan_id), f.after->vulnerability_id,
                                 f.after->package, f.after->target, f.after->installed_version});
  }
  auto r = c.exec(
      std::string("WITH latest AS (SELECT DISTINCT ON (agent_id, check_name) id "
                  "FROM security_scans ORDER BY agent_id, check_name, observed_at DESC, id DESC) "
                  "SELECT ") +
          kFindingColumns +
          " FROM security_findings f JOIN latest l ON l.id = f.scan_id "
          "JOIN security_scans s ON s.id = f.scan_id "
          "WHERE ($1 = '' OR s.service = $1) AND ($2 = '' OR f.severity = $2) "
          "AND ($3 = '' OR f.status = $3) AND " +
          after + " ORDER BY " + kSeverityRank +
          ", f.scan_id, f.vulnerability_id, f.package, f.target, f.installed_version "
          "LIMIT $4::int",
      params);
  if (!r.ok()) {
    return r.error();
  }
  std::vector<StoredFinding> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(findingAt(*r, i));
  }
  return out;
}

FindingCursor cursorOf(const StoredFinding& f) {
  const int rank =
      static_cast<int>(Severity::Critical) - static_cast<int>(f.record.finding.severity);
  return FindingCursor{rank,
                       f.scan_id,
                       f.record.finding.vulnerability_id,
                       f.record.finding.package,
                       f.record.finding.target,
                       f.record.finding.installed_version};
}

}  // namespace vitals::hub::store
