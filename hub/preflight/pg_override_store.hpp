#pragma once
// Overrides in preflight_overrides (schema 0007), each change with its audit row in the same
// transaction; and the schema_migrations read of the migrations_current check.
#include <vector>

#include "hub/preflight/override_store.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::preflight {

class PgOverrideStore final : public OverrideStore {
 public:
  explicit PgOverrideStore(store::PgPool& pool) : pool_(pool) {}
  Result<Override> create(const NewOverride& o, SystemTime now) override;
  Result<std::vector<Override>> active(SystemTime now) override;
  Result<bool> revoke(std::int64_t id, const std::string& actor, SystemTime now) override;
  Status auditRun(const std::string& actor, bool ready, SystemTime now) override;

 private:
  store::PgPool& pool_;
};

// The versions recorded in schema_migrations.
Result<std::vector<int>> appliedMigrations(store::PgPool& pool);

}  // namespace vitals::hub::preflight
