#pragma once
// Once-per-site jobs: each job runs on the one replica that holds its PostgreSQL advisory lock.
//
// A JobLease owns one LockSession (a dedicated database connection in the hub). tick() — every
// `replica.lease_interval`, on the lease's own loop — checks that the session is alive, tries to
// take the lock of every job it does not hold, and records the holder in `replica_leases` (for
// GET /api/v1/hub). The locks are session locks: they vanish when the holder's process dies or
// its connection breaks, and PostgreSQL lets exactly one session hold each, so no job runs on
// two replicas at once. A holder that cannot reach the database any more gives its jobs up at
// the next tick (holds() turns false before another replica can take them, because the server
// keeps the lock until it notices the dead session). A new holder is told through onAcquired so
// it starts from the database (the job's state there, not what it had in memory).
#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/result.hpp"
#include "common/metrics/metrics.hpp"
#include "common/time/clock.hpp"

namespace vitals::hub::replica {

// The jobs of one site that must run on one replica at a time.
inline constexpr std::string_view kJobSweeper = "sweeper";        // staleness + rollups
inline constexpr std::string_view kJobPartitions = "partitions";  // partition maintenance
inline constexpr std::string_view kJobSummary = "summary";        // federation summaries
inline constexpr std::string_view kJobLogStats = "log_stats";     // log statistics rollups

// The advisory-lock key of a job: a stable 63-bit hash (FNV-1a) of "vitals.job.<name>".
std::int64_t jobKey(std::string_view job);

// One database session holding advisory locks. Used by the lease's thread only.
class LockSession {
 public:
  virtual ~LockSession() = default;
  // Opens the session if it is not open (or was lost). Locks held before are gone after it.
  [[nodiscard]] virtual Status open() = 0;
  // A round trip on the session: false when it is broken (its locks are then gone too).
  [[nodiscard]] virtual Status ping() = 0;
  // pg_try_advisory_lock(key): true when this session holds it now.
  [[nodiscard]] virtual Result<bool> tryLock(std::int64_t key) = 0;
  // Records (job, holder) for readers of GET /api/v1/hub; best effort.
  [[nodiscard]] virtual Status recordHolder(std::string_view job, std::string_view holder) = 0;
  // Drops the session (and with it every lock it held).
  virtual void close() = 0;
};

struct JobHolding {
  std::string job;
  bool held = false;
  std::optional<SystemTime> since;  // when this replica took it
};

class JobLease {
 public:
  // Metrics: vitals_replica_lease_acquired_total, vitals_replica_lease_lost_total,
  // vitals_replica_lease_errors_total, vitals_replica_jobs_held (gauge).
  JobLease(std::string replica_id, std::vector<std::string> jobs, LockSession& session,
           const Clock& clock, metrics::Registry& registry, std::shared_ptr<spdlog::logger> logger);

  // Called on the lease's thread right after a job was taken (before holds() says so), so the
  // new holder can load what it needs from the database first.
  void onAcquired(std::function<void(std::string_view job)> fn) { on_acquired_ = std::move(fn); }
  // Called on the lease's thread after jobs were lost (holds() already false).
  void onLost(std::function<void(std::string_view job)> fn) { on_lost_ = std::move(fn); }

  // One renewal round (see the header comment). The lease's thread only.
  void tick();
  // Lets every lock go (shutdown): another replica takes over at its next tick.
  void release();

  // Any thread. Unknown jobs are never held.
  bool holds(std::string_view job) const;
  std::vector<JobHolding> holdings() const;
  const std::string& replicaId() const { return replica_id_; }

 private:
  void loseAll(const std::string& why);

  std::string replica_id_;
  LockSession& session_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> logger_;
  std::function<void(std::string_view)> on_acquired_;
  std::function<void(std::string_view)> on_lost_;
  metrics::Counter& acquired_;
  metrics::Counter& lost_;
  metrics::Counter& errors_;
  metrics::Gauge& held_gauge_;

  bool open_ = false;  // lease thread only
  mutable std::mutex mu_;
  std::map<std::string, JobHolding, std::less<>> jobs_;
};

// Runs JobLease::tick() every `interval` on a Timers loop; start()/stop() on that loop's thread.
class LeaseRenewer {
 public:
  LeaseRenewer(JobLease& lease, const Clock& clock, Timers& timers,
               std::chrono::milliseconds interval)
      : lease_(lease), clock_(clock), timers_(timers), interval_(interval) {}
  ~LeaseRenewer() { stop(); }
  LeaseRenewer(const LeaseRenewer&) = delete;
  LeaseRenewer& operator=(const LeaseRenewer&) = delete;
  // Ticks at once, then every interval.
  void start();
  void stop();

 private:
  void run();
  JobLease& lease_;
  const Clock& clock_;
  Timers& timers_;
  std::chrono::milliseconds interval_;
  std::optional<TimerId> timer_;
  bool stopped_ = false;
};

}  // namespace vitals::hub::replica
