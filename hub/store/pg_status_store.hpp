#pragma once
// StatusStore and UptimeReader on PostgreSQL, on connections leased from a PgPool.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hub/store/pg_pool.hpp"
#include "hub/store/status_store.hpp"

namespace vitals::hub::store {

class PgStatusStore final : public StatusStore, public UptimeReader {
 public:
  explicit PgStatusStore(PgPool& pool,
                         std::chrono::milliseconds acquire_wait = std::chrono::seconds{5})
      : pool_(pool), acquire_wait_(acquire_wait) {}

  Status record(const std::vector<policy::Transition>& transitions) override;
  Result<std::vector<OpenWindow>> openWindows() override;
  Status checkpoint(SystemTime until, SystemTime drop_before) override;
  Result<std::vector<policy::AgentLiveness>> liveness() override;
  Status setUnreachable(const std::vector<std::string>& agents,
                        std::optional<SystemTime> since) override;
  Status setClockSkew(const std::string& agent,
                      std::optional<std::chrono::milliseconds> skew) override;
  Result<std::vector<std::string>> forgetAgents(const std::vector<std::string>& agents,
                                                SystemTime at) override;

  Result<std::map<std::string, policy::StatusSeconds>> totals(
      SystemTime since, SystemTime now, const std::optional<std::string>& service) override;
  Result<std::vector<UptimeWindow>> windows(const std::string& service, SystemTime since,
                                            SystemTime now) override;
  Result<std::vector<TrendBucket>> trends(const std::string& service, SystemTime since,
                                          SystemTime now) override;
  Result<bool> knows(const std::string& service) override;

 private:
  // The running totals of services at the end of the hour before `from` (for uptime windows
  // that start at `from`).
  struct BoundaryTotals {
    SystemTime from{};
    std::map<std::string, policy::StatusSeconds> before;  // services with rows before `from`
    std::vector<std::string> unsettled;  // not rolled up to `from` yet: asked for every time
  };
  static constexpr std::size_t kBoundaryCacheEntries = 4;  // 7d and 30d, this hour and last
  Result<std::map<std::string, policy::StatusSeconds>> totalsBefore(
      PgConnection& conn, SystemTime from, const std::vector<std::string>& services);
  // Cached per `from` (kBoundaryCacheEntries, oldest dropped first).
  Result<std::shared_ptr<const BoundaryTotals>> boundaryTotals(PgConnection& conn, SystemTime from);

  PgPool& pool_;
  std::chrono::milliseconds acquire_wait_;
  std::mutex cache_mu_;
  std::vector<std::shared_ptr<const BoundaryTotals>> boundary_cache_;
};

}  // namespace vitals::hub::store
