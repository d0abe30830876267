#pragma once
// RegistryStore on pooled PostgreSQL connections (service_meta, api_checks; schema 0018).
#include "hub/registry/registry_store.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::registry {

class PgRegistryStore final : public RegistryStore {
 public:
  explicit PgRegistryStore(store::PgPool& pool) : pool_(pool) {}

  Result<std::vector<ServiceMeta>> loadMeta() override;
  Result<std::optional<ServiceMeta>> getMeta(const std::string& name) override;
  Result<ServiceMeta> putMeta(const ServiceMeta& meta, SystemTime now) override;
  Result<std::vector<ApiCheckRow>> checks(const std::string& agent) override;
  Result<std::vector<std::string>> agentsWithChecks() override;
  Result<ApiCheckRow> putCheck(const ApiCheckRow& row, bool create_only, SystemTime now) override;
  Result<bool> deleteCheck(const std::string& agent, const std::string& name,
                           const std::string& actor, SystemTime now) override;
  Status recordApplied(const std::string& agent, const std::vector<AppliedCheck>& results,
                       const std::vector<std::pair<std::string, std::int64_t>>& gone,
                       SystemTime now) override;

 private:
  Result<std::vector<ServiceMeta>> selectMeta(const std::string& where,
                                              const store::PgParams& params);
  store::PgPool& pool_;
};

}  // namespace vitals::hub::registry
