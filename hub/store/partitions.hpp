#pragma once
// Daily partitions of health_checks: which days to create, which to drop (pure, below), and
// PgPartitions, which does it on one connection.
#include <spdlog/logger.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"

namespace vitals::hub::store {

class PgConnection;

using Day = std::chrono::sys_days;  // a UTC calendar day

inline Day dayOf(SystemTime t) { return std::chrono::floor<std::chrono::days>(t); }
// "health_checks_p20261121"
std::string partitionName(Day day);
std::optional<Day> parsePartitionName(std::string_view name);

// Days kept ready ahead of time: yesterday up to a week ahead.
std::vector<Day> daysToPrepare(SystemTime now);
// A batch may create the partition of a day within [today - retention, today + 7]; older rows go
// to the DEFAULT partition (and are deleted with it), later ones wait there for their day.
bool creatableDay(Day day, SystemTime now, int retention_days);
// A partition whose whole day is older than now - retention is dropped.
bool expiredDay(Day day, SystemTime now, int retention_days);

struct MaintenanceReport {
  std::vector<Day> created;
  std::vector<Day> dropped;
  std::uint64_t default_rows_deleted = 0;
};

// Partition DDL on one connection, outside the ingest transaction (a partition created for a
// batch that is then rolled back is harmless). Serialised across hubs by an advisory lock.
class PgPartitions {
 public:
  PgPartitions(PgConnection& conn, spdlog::logger& logger) : conn_(&conn), logger_(&logger) {}
  // After a reconnect on another PgConnection object.
  void rebind(PgConnection& conn) {
    conn_ = &conn;
    known_.clear();
  }
  // Creates the day's partition unless it exists; rows already in DEFAULT for that day move in.
  Result<bool> ensure(Day day);
  // daysToPrepare() + drop expired partitions + delete expired rows from DEFAULT.
  Result<MaintenanceReport> maintain(SystemTime now, int retention_days);
  // The attached daily partitions, as days.
  Result<std::vector<Day>> list();

 private:
  PgConnection* conn_;
  spdlog::logger* logger_;
  std::set<Day> known_;
};

}  // namespace vitals::hub::store
