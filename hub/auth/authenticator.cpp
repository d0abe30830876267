#include "hub/auth/authenticator.hpp"

namespace vitals::hub::auth {
namespace {

// Keeps the cache from growing without bound (each entry is a valid key, so this is a lot).
constexpr std::size_t kMaxCached = 10000;

Error invalid() { return Error{"auth.invalid", "the API key is not valid", {}}; }

}  // namespace

Result<Principal> Authenticator::accept(const KeyRecord& key, SystemTime now) {
  switch (keyState(key, now)) {
    case KeyState::Revoked:
      return Error{"auth.revoked", "the API key " + key.prefix + "… has been revoked", {}};
    case KeyState::Expired:
      return Error{"auth.expired", "the API key " + key.prefix + "… has expired", {}};
    case KeyState::Active:
      break;
  }
  const auto steady = clock_.steadyNow();
  bool touch = false;
  {
    std::lock_guard lock(mu_);
    auto it = last_touch_.find(key.id);
    if (it == last_touch_.end() || steady - it->second >= settings_.touch_interval) {
      last_touch_[key.id] = steady;
      touch = true;
    }
  }
  if (touch) {
    // Best effort: a failed write only makes last_used_at older than it should be.
    (void)store_.touch(key.id, now);
  }
  return Principal{key.id, key.name, key.role};
}

Result<Principal> Authenticator::authenticate(std::string_view token) {
  if (!looksLikeKey(token)) {
    return invalid();
  }
  const std::string hash = hashKey(token);
  const auto now = clock_.now();
  const auto steady = clock_.steadyNow();
  {
    std::unique_lock lock(mu_);
    auto it = cache_.find(hash);
    if (it != cache_.end()) {
      if (steady - it->second.validated_at < settings_.cache_ttl) {
        const KeyRecord key = it->second.key;
        lock.unlock();
        return accept(key, now);
      }
      cache_.erase(it);
    }
  }
  auto candidates = store_.findByPrefix(keyPrefix(token));
  if (!candidates.ok()) {
    return Error{"auth.unavailable",
                 "cannot check the API key now: " + candidates.error().message, {}};
  }
  for (const auto& key : candidates.value()) {
    if (!hashesEqual(key.hash, hash)) {
      continue;
    }
    {
      std::lock_guard lock(mu_);
      if (cache_.size() >= kMaxCached) {
        cache_.clear();
      }
      cache_[hash] = Cached{key, steady};
    }
    return accept(key, now);
  }
  return invalid();
}

void Authenticator::invalidate() {
  std::lock_guard lock(mu_);
  cache_.clear();
}

}  // namespace vitals::hub::auth
