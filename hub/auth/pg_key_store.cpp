#include "hub/auth/pg_key_store.hpp"

#include <chrono>

namespace vitals::hub::auth {
namespace {

using namespace std::chrono_literals;
constexpr auto kPoolWait = 5s;

constexpr const char* kColumns =
    "id, name, role, prefix, hash, creator, " VITALS_EPOCH_US("created_at") ", " VITALS_EPOCH_US(
        "last_used_at") ", " VITALS_EPOCH_US("expires_at") ", " VITALS_EPOCH_US("revoked_at");

std::vector<KeyRecord> records(const store::PgResult& r) {
  std::vector<KeyRecord> out;
  for (int i = 0; i < r.rows(); ++i) {
    KeyRecord k;
    k.id = r.int64(i, 0);
    k.name = r.str(i, 1);
    k.role = parseRole(r.get(i, 2)).value_or(Role::Readonly);
    k.prefix = r.str(i, 3);
    k.hash = r.str(i, 4);
    k.creator = r.str(i, 5);
    k.created_at = store::fromEpochMicros(r.get(i, 6));
    k.last_used_at = r.epochTime(i, 7);
    k.expires_at = r.epochTime(i, 8);
    k.revoked_at = r.epochTime(i, 9);
    out.push_back(std::move(k));
  }
  return out;
}

Result<KeyRecord> single(Result<store::PgResult> r, std::int64_t id) {
  if (!r.ok()) {
    return r.error();
  }
  auto rows = records(r.value());
  if (rows.empty()) {
    return Error{"auth.no_such_key", "no API key with id " + std::to_string(id), {}};
  }
  return rows.front();
}

}  // namespace

Result<KeyRecord> insertKey(store::PgConnection& conn, const NewKey& key, SystemTime now) {
  std::optional<std::string> expires;
  if (key.expires_at) {
    expires = store::pgTimestamp(*key.expires_at);
  }
  auto r = conn.exec(std::string("INSERT INTO api_keys (name, role, prefix, hash, creator, "
                                 "created_at, expires_at) VALUES ($1, $2, $3, $4, $5, "
                                 "$6::timestamptz, $7::timestamptz) RETURNING ") +
                         kColumns,
                     {key.name, std::string(toString(key.role)), key.prefix, key.hash, key.creator,
                      store::pgTimestamp(now), expires});
  return single(std::move(r), 0);
}

Result<std::vector<KeyRecord>> listKeys(store::PgConnection& conn) {
  auto r = conn.exec(std::string("SELECT ") + kColumns + " FROM api_keys ORDER BY id DESC");
  if (!r.ok()) {
    return r.error();
  }
  return records(r.value());
}

Result<KeyRecord> revokeKey(store::PgConnection& conn, std::int64_t id, SystemTime at) {
  auto r = conn.exec(std::string("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, "
                                 "$2::timestamptz) WHERE id = $1 RETURNING ") +
                         kColumns,
                     {std::to_string(id), store::pgTimestamp(at)});
  return single(std::move(r), id);
}

Result<KeyRecord> PgKeyStore::insert(const NewKey& key, SystemTime now) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  return insertKey(lease->conn(), key, now);
}

Result<std::vector<KeyRecord>> PgKeyStore::list() {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  return listKeys(lease->conn());
}

Result<std::vector<KeyRecord>> PgKeyStore::findByPrefix(const std::string& prefix) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(
      std::string("SELECT ") + kColumns + " FROM api_keys WHERE prefix = $1", {prefix});
  if (!r.ok()) {
    return r.error();
  }
  return records(r.value());
}

Result<KeyRecord> PgKeyStore::revoke(std::int64_t id, SystemTime at) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  return revokeKey(lease->conn(), id, at);
}

Status PgKeyStore::touch(std::int64_t id, SystemTime at) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(
      "UPDATE api_keys SET last_used_at = GREATEST(last_used_at, $2::timestamptz) WHERE id = $1",
      {std::to_string(id), store::pgTimestamp(at)});
  if (!r.ok()) {
    return r.error();
  }
  return okStatus();
}

}  // namespace vitals::hub::auth
