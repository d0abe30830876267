#pragma once
// A small fixed-size pool of PgConnections for API reads. Connections are opened lazily and
// re-opened when found broken, so the pool works while the database comes and goes.
#include <spdlog/logger.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "common/error/result.hpp"
#include "hub/store/pg_connection.hpp"

namespace vitals::hub::store {

class PgPool {
 public:
  PgPool(PgConnectOptions options, int size, std::shared_ptr<spdlog::logger> logger);
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // Exclusive use of one connection until the lease is destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept : pool_(other.pool_), slot_(other.slot_) {
      other.pool_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    PgConnection& conn() { return *pool_->slots_[slot_]; }
    PgConnection* operator->() { return &conn(); }

   private:
    friend class PgPool;
    Lease(PgPool* pool, std::size_t slot) : pool_(pool), slot_(slot) {}
    PgPool* pool_;
    std::size_t slot_;
  };

  // Waits up to `wait` for a free connection; "db.unavailable" when none could be had or opened.
  Result<Lease> acquire(std::chrono::milliseconds wait);

 private:
  void release(std::size_t slot);
  PgConnectOptions options_;
  std::shared_ptr<spdlog::logger> logger_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> slots_;
  std::vector<std::size_t> free_;
};

// Runs fn(PgConnection&) inside BEGIN/COMMIT on a connection leased from pool for the call;
// rolls back when fn or the commit fails. fn returns Status or Result<T>.
template <typename Fn>
auto inTransaction(PgPool& pool, std::chrono::milliseconds wait, Fn&& fn)
    -> decltype(fn(std::declval<PgConnection&>())) {
  auto lease = pool.acquire(wait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto& conn = lease->conn();
  return inTransaction(conn, [&] { return fn(conn); });
}

}  // namespace vitals::hub::store
