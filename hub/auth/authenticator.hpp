#pragma once
// Turns a presented bearer token into a Principal, or says why not. Validated keys are cached
// in memory for `cache_ttl` (default 5 s) so a busy client costs no database query per request;
// a revocation therefore takes effect within cache_ttl on every hub (at once on the hub that
// revoked it, which calls invalidate()). Expiry is checked on every request, cached or not.
// last_used_at is written at most once per `touch_interval` per key. Thread-safe.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"
#include "hub/auth/api_key.hpp"
#include "hub/auth/key_store.hpp"

namespace vitals::hub::auth {

struct Principal {
  std::int64_t key_id = 0;
  std::string name;
  Role role = Role::Readonly;
  std::string actor() const { return "key:" + std::to_string(key_id); }
};

struct AuthenticatorSettings {
  std::chrono::milliseconds cache_ttl{5000};
  std::chrono::milliseconds touch_interval{60000};
};

class Authenticator {
 public:
  Authenticator(KeyStore& store, const Clock& clock, AuthenticatorSettings settings = {})
      : store_(store), clock_(clock), settings_(settings) {}

  // Error codes: "auth.invalid" (not a key we know, or malformed), "auth.expired",
  // "auth.revoked", "auth.unavailable" (the key store could not be asked: answer 503).
  Result<Principal> authenticate(std::string_view token);
  // Forgets every cached key (after a revocation on this hub).
  void invalidate();

 private:
  struct Cached {
    KeyRecord key;
    SteadyTime validated_at;
  };
  Result<Principal> accept(const KeyRecord& key, SystemTime now);

  KeyStore& store_;
  const Clock& clock_;
  AuthenticatorSettings settings_;
  std::mutex mu_;
  std::map<std::string, Cached> cache_;            // by hash
  std::map<std::int64_t, SteadyTime> last_touch_;  // by key id
};

}  // namespace vitals::hub::auth
