#pragma once
// ReadStore on PostgreSQL through the read pool (never the ingest connection).
#include "hub/store/pg_pool.hpp"
#include "hub/store/read_store.hpp"

namespace vitals::hub::store {

class PgReadStore final : public ReadStore {
 public:
  explicit PgReadStore(PgPool& pool,
                       std::chrono::milliseconds acquire_wait = std::chrono::seconds{5})
      : pool_(pool), acquire_wait_(acquire_wait) {}
  Result<HistoryPage> history(const HistoryQuery& query) override;
  Result<std::vector<AgentRecord>> agents() override;
  Result<std::optional<AgentRecord>> agent(const std::string& agent_id) override;
  Result<std::vector<StoredCheck>> checks() override;
  Status ping() override;

 private:
  Result<std::vector<AgentRecord>> agentsWhere(const std::string& condition,
                                               const PgParams& params);
  PgPool& pool_;
  std::chrono::milliseconds acquire_wait_;
};

}  // namespace vitals::hub::store
