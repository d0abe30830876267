#pragma once
// /api/v1/keys: list, create (the key is in the answer once, never again) and revoke API keys.
// Admin only (the route table says so). Blocking store calls on HTTP threads.
#include <functional>

#include "common/time/clock.hpp"
#include "hub/api/api_types.hpp"
#include "hub/auth/api_key.hpp"
#include "hub/auth/key_store.hpp"

namespace vitals::hub::api {

// A key as listed: never the key or its hash.
nlohmann::json keyJson(const auth::KeyRecord& key, SystemTime now);

class KeysHandler {
 public:
  // on_revoked runs after a successful revocation (the composition root drops the
  // authenticator's cache so the key stops working on this hub at once).
  KeysHandler(auth::KeyStore& store, auth::SecureRandom& random, const Clock& clock,
              std::function<void()> on_revoked = {})
      : store_(store), random_(random), clock_(clock), on_revoked_(std::move(on_revoked)) {}
  ApiResponse list(const ApiRequest& req) const;
  // Body: {"name": "...", "role": "admin|operator|readonly", "expires_in": "30d"} (expires_in
  // optional: a duration such as 12h or 90d; absent = never). 201 with "key".
  ApiResponse create(const ApiRequest& req) const;
  ApiResponse revoke(const ApiRequest& req) const;

 private:
  auth::KeyStore& store_;
  auth::SecureRandom& random_;
  const Clock& clock_;
  std::function<void()> on_revoked_;
};

}  // namespace vitals::hub::api
