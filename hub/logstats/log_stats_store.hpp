#pragma once
// Where the log_stats job reads raw log results and writes rollups and job executions
// (PgLogStatsStore in PostgreSQL; a fake in the unit tests).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/result.hpp"
#include "hub/logstats/log_rollup.hpp"

namespace vitals::hub::logstats {

// One run of one period (a job_executions row).
struct JobExecution {
  std::int64_t id = 0;
  std::string job_type;  // kHourlyJob, kDailyJob
  SystemTime period_start{};
  SystemTime period_end{};
  SystemTime started_at{};
  SystemTime finished_at{};
  std::string status;  // "ok", "failed"
  std::string error;
  std::int64_t rows = 0;  // rollup and top-message rows written
  std::string replica;
};

class LogStatsStore {
 public:
  virtual ~LogStatsStore() = default;
  // The newest / oldest period start with an 'ok' execution of `job_type`.
  virtual Result<std::optional<SystemTime>> lastDone(std::string_view job_type) = 0;
  virtual Result<std::optional<SystemTime>> firstDone(std::string_view job_type) = 0;
  // Sums over the `log` results observed in [from, to).
  virtual Result<RawPeriod> readRaw(SystemTime from, SystemTime to) = 0;
  // Stored rollups of granularity g whose period starts in [from, to).
  virtual Result<std::vector<ServiceRollup>> readRollups(Granularity g, SystemTime from,
                                                         SystemTime to) = 0;
  // In one transaction: deletes the period's rows, writes `rollups`, and records `execution`
  // (when given) as ok. Running it twice leaves the same rows.
  virtual Status replace(Granularity g, SystemTime period_start,
                         const std::vector<ServiceRollup>& rollups,
                         const JobExecution* execution) = 0;
  // A failed run (its transaction was rolled back).
  virtual Status recordExecution(const JobExecution& e) = 0;
  // Rollups, top messages and executions of periods that started before `before`.
  virtual Status prune(SystemTime before) = 0;
  // The hour the window totals were made for (nullopt: never made).
  virtual Result<std::optional<SystemTime>> windowsBase() = 0;
  // Makes the window totals (kWindows) for the current hour `hour`: per window of L hours, the
  // complete hours [hour + 1h - L, hour) and the window before, in one transaction.
  virtual Status refreshWindows(SystemTime hour) = 0;
};

// The API's windows: name and length.
struct WindowSpec {
  const char* name;
  std::chrono::hours length;
};
inline constexpr WindowSpec kWindows[] = {{"1h", std::chrono::hours{1}},
                                          {"24h", std::chrono::hours{24}},
                                          {"7d", std::chrono::hours{24 * 7}},
                                          {"30d", std::chrono::hours{24 * 30}}};

// A window's per-service totals and those of the window before it.
struct WindowTotals {
  std::vector<ServiceRollup> current;
  std::vector<ServiceRollup> previous;
};

// A service's top message over a window.
struct ServiceTopMessage {
  std::string service;
  TopMessage message;
};

// One bucket of a service's series.
struct SeriesPoint {
  SystemTime start{};
  std::int64_t lines = 0;
  std::int64_t errors = 0;
  std::int64_t warnings = 0;
};

// What the API reads (PgLogStatsStore; a fake in the unit tests).
class LogStatsReader {
 public:
  virtual ~LogStatsReader() = default;
  // Per-service sums (no top messages) over the hours in [from, to): daily rollups for the
  // whole days that have one, hourly rollups for the rest. `service` "" = every service.
  virtual Result<std::vector<ServiceRollup>> totals(SystemTime from, SystemTime to,
                                                    const std::string& service) = 0;
  // The window that ends with the current hour `hour`, from the window totals made for that hour
  // plus the hour's own rollup; nullopt when the totals were made for another hour.
  virtual Result<std::optional<WindowTotals>> windowTotals(const std::string& window,
                                                           SystemTime hour,
                                                           const std::string& service) = 0;
  // The most repeated messages over [from, to), most first.
  virtual Result<std::vector<ServiceTopMessage>> topMessages(SystemTime from, SystemTime to,
                                                             const std::string& service,
                                                             int limit) = 0;
  // One service's lines per bucket (hour or day) over [from, to), oldest first.
  virtual Result<std::vector<SeriesPoint>> series(SystemTime from, SystemTime to,
                                                  const std::string& service,
                                                  Granularity bucket) = 0;
  // Executions, newest first; "" = any type / status.
  virtual Result<std::vector<JobExecution>> executions(const std::string& job_type,
                                                       const std::string& status, int limit) = 0;
};

}  // namespace vitals::hub::logstats
