#pragma once
// KeyStore on PostgreSQL (table api_keys, schema/0005_api_keys.sql). The free functions work on
// one connection, so `vitals-hub keys` can put a key and its audit row in one transaction.
#include "hub/auth/key_store.hpp"
#include "hub/store/pg_connection.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::auth {

Result<KeyRecord> insertKey(store::PgConnection& conn, const NewKey& key, SystemTime now);
Result<std::vector<KeyRecord>> listKeys(store::PgConnection& conn);
Result<KeyRecord> revokeKey(store::PgConnection& conn, std::int64_t id, SystemTime at);

class PgKeyStore final : public KeyStore {
 public:
  explicit PgKeyStore(store::PgPool& pool) : pool_(pool) {}
  Result<KeyRecord> insert(const NewKey& key, SystemTime now) override;
  Result<std::vector<KeyRecord>> list() override;
  Result<std::vector<KeyRecord>> findByPrefix(const std::string& prefix) override;
  Result<KeyRecord> revoke(std::int64_t id, SystemTime at) override;
  Status touch(std::int64_t id, SystemTime at) override;

 private:
  store::PgPool& pool_;
};

}  // namespace vitals::hub::auth
