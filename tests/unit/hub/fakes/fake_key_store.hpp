#pragma once
// An in-memory KeyStore that counts the queries (so tests see what the cache saves) and can be
// made unavailable.
#include <map>
#include <mutex>

#include "hub/auth/key_store.hpp"

namespace vitals::test {

class FakeKeyStore final : public hub::auth::KeyStore {
 public:
  Result<hub::auth::KeyRecord> insert(const hub::auth::NewKey& key, SystemTime now) override {
    std::lock_guard lock(mu_);
    if (!available) {
      return Error{"db.unavailable", "fake store down", {}};
    }
    hub::auth::KeyRecord r;
    r.id = next_id_++;
    r.name = key.name;
    r.role = key.role;
    r.prefix = key.prefix;
    r.hash = key.hash;
    r.creator = key.creator;
    r.created_at = now;
    r.expires_at = key.expires_at;
    keys_[r.id] = r;
    return r;
  }
  Result<std::vector<hub::auth::KeyRecord>> list() override {
    std::lock_guard lock(mu_);
    if (!available) {
      return Error{"db.unavailable", "fake store down", {}};
    }
    std::vector<hub::auth::KeyRecord> out;
    for (auto it = keys_.rbegin(); it != keys_.rend(); ++it) {
      out.push_back(it->second);
    }
    return out;
  }
  Result<std::vector<hub::auth::KeyRecord>> findByPrefix(const std::string& prefix) override {
    std::lock_guard lock(mu_);
    ++lookups;
    if (!available) {
      return Error{"db.unavailable", "fake store down", {}};
    }
    std::vector<hub::auth::KeyRecord> out;
    for (const auto& [id, k] : keys_) {
      if (k.prefix == prefix) {
        out.push_back(k);
      }
    }
    return out;
  }
  Result<hub::auth::KeyRecord> revoke(std::int64_t id, SystemTime at) override {
    std::lock_guard lock(mu_);
    auto it = keys_.find(id);
    if (it == keys_.end()) {
      return Error{"auth.no_such_key", "no API key with id " + std::to_string(id), {}};
    }
    if (!it->second.revoked_at) {
      it->second.revoked_at = at;
    }
    return it->second;
  }
  Status touch(std::int64_t id, SystemTime at) override {
    std::lock_guard lock(mu_);
    ++touches;
    if (auto it = keys_.find(id); it != keys_.end()) {
      it->second.last_used_at = at;
    }
    return okStatus();
  }
  hub::auth::KeyRecord get(std::int64_t id) {
    std::lock_guard lock(mu_);
    return keys_.at(id);
  }

  bool available = true;
  int lookups = 0;
  int touches = 0;

 private:
  std::mutex mu_;
  std::int64_t next_id_ = 1;
  std::map<std::int64_t, hub::auth::KeyRecord> keys_;
};

// Bytes 0, 1, 2, ... (a known key for tests); each fill continues the sequence.
class CountingRandom final : public hub::auth::SecureRandom {
 public:
  Status fill(std::uint8_t* out, std::size_t n) override {
    for (std::size_t i = 0; i < n; ++i) {
      out[i] = next_++;
    }
    return okStatus();
  }

 private:
  std::uint8_t next_ = 0;
};

}  // namespace vitals::test
