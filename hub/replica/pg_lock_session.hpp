#pragma once
// LockSession on a dedicated PostgreSQL connection (session-level advisory locks).
#include <spdlog/logger.h>

#include <memory>
#include <vector>

#include "hub/replica/job_lease.hpp"
#include "hub/store/pg_connection.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::replica {

class PgLockSession final : public LockSession {
 public:
  PgLockSession(store::PgConnectOptions options, std::shared_ptr<spdlog::logger> logger);
  Status open() override;
  Status ping() override;
  Result<bool> tryLock(std::int64_t key) override;
  Status recordHolder(std::string_view job, std::string_view holder) override;
  void close() override { conn_.reset(); }

 private:
  store::PgConnectOptions options_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<store::PgConnection> conn_;
};

// A row of replica_leases, with whether its session still holds an advisory lock (pg_locks).
struct LeaseRecord {
  std::string job;
  std::string holder;
  SystemTime since{};
  bool live = false;
};
Result<std::vector<LeaseRecord>> readLeases(store::PgPool& pool);

}  // namespace vitals::hub::replica
