#pragma once
// In-memory log statistics: the job's store (raw sums per hour given by the test, rollups and
// executions kept in maps), the API's reader over the same rollups, and a threshold store.
#include <map>
#include <set>

#include "hub/logstats/log_stats_store.hpp"
#include "hub/logstats/log_thresholds.hpp"

namespace vitals::test {

class FakeLogStats final : public hub::logstats::LogStatsStore,
                           public hub::logstats::LogStatsReader {
 public:
  using Granularity = hub::logstats::Granularity;
  using Rollups = std::vector<hub::logstats::ServiceRollup>;

  std::map<SystemTime, hub::logstats::RawPeriod> raw;  // by hour start
  std::map<std::pair<Granularity, SystemTime>, Rollups> rollups;
  std::vector<hub::logstats::JobExecution> executions_log;
  std::vector<std::pair<Granularity, SystemTime>> replaced;  // every replace, in order
  std::set<SystemTime> fail_raw;                             // readRaw of these hours fails
  std::optional<SystemTime> pruned_before;

  Result<std::optional<SystemTime>> lastDone(std::string_view type) override {
    std::optional<SystemTime> out;
    for (const auto& e : executions_log) {
      if (e.job_type == type && e.status == "ok" && (!out || e.period_start > *out)) {
        out = e.period_start;
      }
    }
    return out;
  }
  Result<std::optional<SystemTime>> firstDone(std::string_view type) override {
    std::optional<SystemTime> out;
    for (const auto& e : executions_log) {
      if (e.job_type == type && e.status == "ok" && (!out || e.period_start < *out)) {
        out = e.period_start;
      }
    }
    return out;
  }
  Result<hub::logstats::RawPeriod> readRaw(SystemTime from, SystemTime) override {
    if (fail_raw.count(from) != 0) {
      return Error{"db.unavailable", "database went away", {}};
    }
    auto it = raw.find(from);
    return it == raw.end() ? hub::logstats::RawPeriod{} : it->second;
  }
  Result<Rollups> readRollups(Granularity g, SystemTime from, SystemTime to) override {
    Rollups out;
    for (const auto& [key, rows] : rollups) {
      if (key.first == g && key.second >= from && key.second < to) {
        out.insert(out.end(), rows.begin(), rows.end());
      }
    }
    return out;
  }
  Status replace(Granularity g, SystemTime start, const Rollups& rows,
                 const hub::logstats::JobExecution* e) override {
    rollups[{g, start}] = rows;
    replaced.emplace_back(g, start);
    if (e != nullptr) {
      executions_log.push_back(*e);
    }
    return okStatus();
  }
  Status recordExecution(const hub::logstats::JobExecution& e) override {
    executions_log.push_back(e);
    return okStatus();
  }
  Status prune(SystemTime before) override {
    pruned_before = before;
    return okStatus();
  }
  std::optional<SystemTime> windows_base;
  Result<std::optional<SystemTime>> windowsBase() override { return windows_base; }
  Status refreshWindows(SystemTime hour) override {
    windows_base = hour;
    return okStatus();
  }
  // Never ready: the handler sums the rollups.
  Result<std::optional<hub::logstats::WindowTotals>> windowTotals(const std::string&, SystemTime,
                                                                  const std::string&) override {
    return std::optional<hub::logstats::WindowTotals>{};
  }

  // Reader: hourly rollups only (enough for the handler tests).
  Result<Rollups> totals(SystemTime from, SystemTime to, const std::string& service) override {
    Rollups parts;
    for (const auto& [key, rows] : rollups) {
      if (key.first == Granularity::Hour && key.second >= from && key.second < to) {
        for (const auto& r : rows) {
          if (service.empty() || r.service == service) {
            parts.push_back(r);
          }
        }
      }
    }
    auto merged = hub::logstats::merge(parts, 0);
    return merged;
  }
  Result<std::vector<hub::logstats::ServiceTopMessage>> topMessages(SystemTime, SystemTime,
                                                                    const std::string&,
                                                                    int) override {
    return std::vector<hub::logstats::ServiceTopMessage>{};
  }
  Result<std::vector<hub::logstats::SeriesPoint>> series(SystemTime, SystemTime, const std::string&,
                                                         Granularity) override {
    return std::vector<hub::logstats::SeriesPoint>{};
  }
  Result<std::vector<hub::logstats::JobExecution>> executions(const std::string&,
                                                              const std::string&, int) override {
    return executions_log;
  }
};

class FakeThresholdStore final : public hub::logstats::ThresholdStore {
 public:
  std::map<std::string, hub::logstats::LogThreshold> rows;
  int reads = 0;
  Result<std::vector<hub::logstats::LogThreshold>> list() override {
    ++reads;
    std::vector<hub::logstats::LogThreshold> out;
    for (const auto& [k, v] : rows) {
      out.push_back(v);
    }
    return out;
  }
  Result<bool> put(const hub::logstats::LogThreshold& t) override {
    const bool created = rows.count(t.service) == 0;
    rows[t.service] = t;
    return created;
  }
  Result<bool> remove(const std::string& service) override { return rows.erase(service) > 0; }
};

}  // namespace vitals::test
