#pragma once
// Where API keys are kept (PgKeyStore in production, an in-memory fake in tests). Only hashes
// are stored. Implementations are called from HTTP worker threads concurrently.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "hub/auth/api_key.hpp"

namespace vitals::hub::auth {

struct NewKey {
  std::string name;
  Role role = Role::Readonly;
  std::string prefix;  // keyPrefix(key)
  std::string hash;    // hashKey(key)
  std::string creator;  // "key:<id>" or "cli:<user>"
  std::optional<SystemTime> expires_at;
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;
  virtual Result<KeyRecord> insert(const NewKey& key, SystemTime now) = 0;
  // Every key, newest first (revoked and expired ones too).
  virtual Result<std::vector<KeyRecord>> list() = 0;
  // The keys whose prefix is `prefix` (usually zero or one).
  virtual Result<std::vector<KeyRecord>> findByPrefix(const std::string& prefix) = 0;
  // The key after revocation; "auth.no_such_key" when there is none. Revoking a revoked key
  // keeps its first revocation time.
  virtual Result<KeyRecord> revoke(std::int64_t id, SystemTime at) = 0;
  virtual Status touch(std::int64_t id, SystemTime at) = 0;
};

}  // namespace vitals::hub::auth
