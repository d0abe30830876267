#include "hub/replica/pg_lock_session.hpp"

namespace vitals::hub::replica {

PgLockSession::PgLockSession(store::PgConnectOptions options,
                             std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)), logger_(std::move(logger)) {
  options_.application_name = "vitals-hub lease";
}

Status PgLockSession::open() {
  if (conn_ && conn_->ok()) {
    return okStatus();
  }
  conn_.reset();  // a broken session's locks are gone: never reset() it in place
  auto c = store::PgConnection::connect(options_, logger_);
  if (!c.ok()) {
    return c.error();
  }
  conn_ = std::move(c.value());
  return okStatus();
}

Status PgLockSession::ping() {
  if (!conn_) {
    return Error{"db.unavailable", "no lease session", {}};
  }
  auto r = conn_->exec("SELECT 1");
  return r.ok() ? okStatus() : Status(r.error());
}

Result<bool> PgLockSession::tryLock(std::int64_t key) {
  if (!conn_) {
    return Error{"db.unavailable", "no lease session", {}};
  }
  auto r = conn_->exec("SELECT pg_try_advisory_lock($1::bigint)", {std::to_string(key)});
  if (!r.ok()) {
    return r.error();
  }
  return r->get(0, 0) == "t";
}

Status PgLockSession::recordHolder(std::string_view job, std::string_view holder) {
  if (!conn_) {
    return Error{"db.unavailable", "no lease session", {}};
  }
  auto r = conn_->exec(
      "INSERT INTO replica_leases (job, holder, pid, since) "
      "VALUES ($1, $2, pg_backend_pid(), now()) ON CONFLICT (job) DO UPDATE SET "
      "holder = EXCLUDED.holder, pid = EXCLUDED.pid, since = EXCLUDED.since",
      {std::string(job), std::string(holder)});
  return r.ok() ? okStatus() : Status(r.error());
}

Result<std::vector<LeaseRecord>> readLeases(store::PgPool& pool) {
  auto lease = pool.acquire(std::chrono::seconds{2});
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec("SELECT l.job, l.holder, " VITALS_EPOCH_US(
      "l.since") ", EXISTS (SELECT 1 FROM pg_locks p WHERE p.locktype = 'advisory' "
                 "AND p.pid = l.pid AND p.granted) FROM replica_leases l ORDER BY l.job");
  if (!r.ok()) {
    return r.error();
  }
  std::vector<LeaseRecord> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(
        {r->str(i, 0), r->str(i, 1), store::fromEpochMicros(r->get(i, 2)), r->get(i, 3) == "t"});
  }
  return out;
}

}  // namespace vitals::hub::replica
