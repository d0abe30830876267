#pragma once
// FederationStore on PostgreSQL (the hub's read pool).
#include "hub/federation/federation_store.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::federation {

class PgFederationStore final : public FederationStore {
 public:
  explicit PgFederationStore(store::PgPool& pool) : pool_(pool) {}
  Status save(const RemoteHub& hub, const std::vector<RemoteService>& upserted,
              const std::vector<std::string>& removed) override;
  Result<Snapshot> load() override;

 private:
  store::PgPool& pool_;
};

}  // namespace vitals::hub::federation
