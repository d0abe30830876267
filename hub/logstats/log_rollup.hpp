#pragma once
// Log statistics, the pure part: period arithmetic (UTC hours and days), which periods a job
// still owes and in what order, and the rollup math (raw sums from the agents' `log` results ->
// per-service rollups; hourly rollups -> a daily one). No database, no clock: unit-tested alone.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time/clock.hpp"

namespace vitals::hub::logstats {

enum class Granularity { Hour, Day };
std::string_view toString(Granularity g);  // "hour", "day"
std::chrono::hours periodLength(Granularity g);

// The job types recorded in job_executions.
inline constexpr std::string_view kHourlyJob = "log_stats.hourly";
inline constexpr std::string_view kDailyJob = "log_stats.daily";

// Start of the UTC hour / day containing t.
SystemTime floorHour(SystemTime t);
SystemTime floorDay(SystemTime t);
// The first UTC day start at or after t.
SystemTime ceilDay(SystemTime t);

// Complete periods still owed, oldest first: from the one after `last_done` (or `first` when
// none is done) up to the last one that ended at or before `now`, never before `earliest` (older
// data is past retention), at most `max` of them (the rest wait for the next run).
std::vector<SystemTime> duePeriods(Granularity g, std::optional<SystemTime> last_done,
                                   SystemTime first, SystemTime earliest, SystemTime now,
                                   std::size_t max);

// Days whose every hour is rolled up, oldest first: after `last_day_done` (or from the first
// whole day at or after `first_hour_done`), ending at or before `hours_done_until` (the end of
// the newest hour rolled up).
std::vector<SystemTime> dueDays(std::optional<SystemTime> last_day_done,
                                std::optional<SystemTime> first_hour_done,
                                std::optional<SystemTime> hours_done_until, SystemTime earliest,
                                std::size_t max);

// ---- rollup math ----

// One (service, detail key) sum over a period's raw log results: key is "lines" or
// "count.<name>"; `results` is how many results carried the key.
struct CountSum {
  std::string service;
  std::string key;
  std::int64_t sum = 0;
  std::int64_t results = 0;
};

// One distinct top.N value ("12x ERROR job # failed") of a service in a period: how many results
// reported exactly it, and when the first and last of them were observed.
struct TopValue {
  std::string service;
  std::string value;
  std::int64_t results = 0;
  SystemTime first_seen{};
  SystemTime last_seen{};
};

struct RawPeriod {
  std::vector<CountSum> counts;
  std::vector<TopValue> tops;
};

struct TopMessage {
  std::string message;
  std::int64_t count = 0;
  SystemTime first_seen{};
  SystemTime last_seen{};
};

struct ServiceRollup {
  std::string service;
  std::int64_t results = 0;
  std::int64_t lines = 0;
  std::int64_t errors = 0;                     // level "error"
  std::int64_t warnings = 0;                   // level "warn"
  std::map<std::string, std::int64_t> levels;  // every count.<name>
  std::vector<TopMessage> top;                 // most repeated first
};

// errors / lines; 0 when no line was read.
double errorRate(std::int64_t errors, std::int64_t lines);

// "12x ERROR job # failed" -> (12, "ERROR job # failed"); nullopt when it is not that shape.
std::optional<std::pair<std::int64_t, std::string>> parseTopValue(std::string_view value);

// Per-service rollups of one period, sorted by service; at most `top_limit` messages each
// (ties by message text, so the result does not depend on the row order).
std::vector<ServiceRollup> rollUp(const RawPeriod& raw, std::size_t top_limit);

// The sum of several periods' rollups (a day from its hours), sorted by service.
std::vector<ServiceRollup> merge(const std::vector<ServiceRollup>& parts, std::size_t top_limit);

}  // namespace vitals::hub::logstats
