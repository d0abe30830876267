#include "hub/store/partitions.hpp"

#include <cstdio>

#include "hub/store/pg_connection.hpp"

namespace vitals::hub::store {
namespace {

using std::chrono::days;

constexpr std::string_view kPrefix = "health_checks_p";
constexpr const char* kPartitionLock = "1986622050";

std::string dateLiteral(Day d) {
  const std::chrono::year_month_day ymd{d};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

}  // namespace

std::string partitionName(Day day) {
  const std::chrono::year_month_day ymd{day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return std::string(kPrefix) + buf;
}

std::optional<Day> parsePartitionName(std::string_view name) {
  if (name.size() != kPrefix.size() + 8 || name.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  int v[3] = {0, 0, 0};
  const int widths[3] = {4, 2, 2};
  std::size_t pos = kPrefix.size();
  for (int i = 0; i < 3; ++i) {
    for (int k = 0; k < widths[i]; ++k, ++pos) {
      const char c = name[pos];
      if (c < '0' || c > '9') {
        return std::nullopt;
      }
      v[i] = v[i] * 10 + (c - '0');
    }
  }
  const std::chrono::year_month_day ymd{std::chrono::year{v[0]},
                                        std::chrono::month{static_cast<unsigned>(v[1])},
                                        std::chrono::day{static_cast<unsigned>(v[2])}};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return Day{ymd};
}

std::vector<Day> daysToPrepare(SystemTime now) {
  std::vector<Day> out;
  const Day today = dayOf(now);
  for (int i = -1; i <= 7; ++i) {
    out.push_back(today + days{i});
  }
  return out;
}

bool creatableDay(Day day, SystemTime now, int retention_days) {
  const Day today = dayOf(now);
  return day >= today - days{retention_days} && day <= today + days{7};
}

bool expiredDay(Day day, SystemTime now, int retention_days) {
  return SystemTime{day + days{1}} <= now - days{retention_days};
}

Result<std::vector<Day>> PgPartitions::list() {
  auto rows = conn_->exec(
      "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
      "WHERE i.inhparent = 'health_checks'::regclass");
  if (!rows.ok()) {
    return rows.error();
  }
  std::vector<Day> out;
  for (int r = 0; r < rows->rows(); ++r) {
    if (auto d = parsePartitionName(rows->get(r, 0))) {
      out.push_back(*d);
    }
  }
  return out;
}

Result<bool> PgPartitions::ensure(Day day) {
  if (known_.count(day) != 0) {
    return false;
  }
  const std::string name = partitionName(day);
  const std::string from = dateLiteral(day);
  const std::string to = dateLiteral(day + days{1});
  PgTransaction tx{*conn_};
  if (auto s = tx.begin(); !s.ok()) {
    return s.error();
  }
  if (auto r = conn_->exec("SELECT pg_advisory_xact_lock($1::bigint)", {kPartitionLock}); !r.ok()) {
    return r.error();
  }
  auto exists = conn_->exec(
      "SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
      "WHERE i.inhparent = 'health_checks'::regclass AND c.relname = $1",
      {name});
  if (!exists.ok()) {
    return exists.error();
  }
  if (exists->rows() > 0) {
    tx.rollback();
    known_.insert(day);
    return false;
  }
  // DDL takes no parameters: the name and bounds are built from integers only. Rows that were
  // parked in DEFAULT for this day move into the new partition, or ATTACH would refuse.
  const std::string ts_from = "'" + from + " 00:00:00+00'";
  const std::string ts_to = "'" + to + " 00:00:00+00'";
  const std::string ddl = "CREATE TABLE IF NOT EXISTS " + name +
                          " (LIKE health_checks INCLUDING DEFAULTS INCLUDING CONSTRAINTS);"
                          "WITH moved AS (DELETE FROM health_checks_default WHERE observed_at >= " +
                          ts_from + " AND observed_at < " + ts_to + " RETURNING *) INSERT INTO " +
                          name +
                          " SELECT * FROM moved;"
                          "ALTER TABLE health_checks ATTACH PARTITION " +
                          name + " FOR VALUES FROM (" + ts_from + ") TO (" + ts_to + ");";
  if (auto s = conn_->execScript(ddl); !s.ok()) {
    return s.error();
  }
  if (auto s = tx.commit(); !s.ok()) {
    return s.error();
  }
  known_.insert(day);
  logger_->info("created partition {}", name);
  return true;
}

Result<MaintenanceReport> PgPartitions::maintain(SystemTime now, int retention_days) {
  MaintenanceReport report;
  for (Day d : daysToPrepare(now)) {
    auto created = ensure(d);
    if (!created.ok()) {
      return created.error();
    }
    if (created.value()) {
      report.created.push_back(d);
    }
  }
  auto existing = list();
  if (!existing.ok()) {
    return existing.error();
  }
  for (Day d : existing.value()) {
    if (!expiredDay(d, now, retention_days)) {
      continue;
    }
    // Dropping a partition is instant and leaves no dead rows, unlike DELETE.
    if (auto s = conn_->execScript("DROP TABLE IF EXISTS " + partitionName(d)); !s.ok()) {
      return s.error();
    }
    known_.erase(d);
    report.dropped.push_back(d);
    logger_->info("dropped expired partition {}", partitionName(d));
  }
  const SystemTime cutoff = now - days{retention_days};
  auto deleted = conn_->exec("DELETE FROM health_checks_default WHERE observed_at < $1",
                             {pgTimestamp(cutoff)});
  if (!deleted.ok()) {
    return deleted.error();
  }
  report.default_rows_deleted = deleted->affected();
  return report;
}

}  // namespace vitals::hub::store
