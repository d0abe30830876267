#pragma once
// The log statistics tables in PostgreSQL (schema/0017_log_stats.sql): the job's reads and
// writes and the API's queries. Connections come from the hub's pool, one per call.
#include "hub/logstats/log_stats_store.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::logstats {

class PgLogStatsStore final : public LogStatsStore, public LogStatsReader {
 public:
  explicit PgLogStatsStore(store::PgPool& pool) : pool_(pool) {}

  Result<std::optional<SystemTime>> lastDone(std::string_view job_type) override;
  Result<std::optional<SystemTime>> firstDone(std::string_view job_type) override;
  Result<RawPeriod> readRaw(SystemTime from, SystemTime to) override;
  Result<std::vector<ServiceRollup>> readRollups(Granularity g, SystemTime from,
                                                 SystemTime to) override;
  Status replace(Granularity g, SystemTime period_start, const std::vector<ServiceRollup>& rollups,
                 const JobExecution* execution) override;
  Status recordExecution(const JobExecution& e) override;
  Status prune(SystemTime before) override;
  Result<std::optional<SystemTime>> windowsBase() override;
  Status refreshWindows(SystemTime hour) override;

  Result<std::vector<ServiceRollup>> totals(SystemTime from, SystemTime to,
                                            const std::string& service) override;
  Result<std::optional<WindowTotals>> windowTotals(const std::string& window, SystemTime hour,
                                                   const std::string& service) override;
  Result<std::vector<ServiceTopMessage>> topMessages(SystemTime from, SystemTime to,
                                                     const std::string& service,
                                                     int limit) override;
  Result<std::vector<SeriesPoint>> series(SystemTime from, SystemTime to,
                                          const std::string& service, Granularity bucket) override;
  Result<std::vector<JobExecution>> executions(const std::string& job_type,
                                               const std::string& status, int limit) override;

 private:
  // The whole days in [from, to) that have a finished daily rollup (a PostgreSQL array text).
  Result<std::string> doneDays(store::PgConnection& conn, SystemTime from, SystemTime to);
  store::PgPool& pool_;
};

}  // namespace vitals::hub::logstats
