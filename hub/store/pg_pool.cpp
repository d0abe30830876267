#include "hub/store/pg_pool.hpp"

namespace vitals::hub::store {

PgPool::PgPool(PgConnectOptions options, int size, std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)), logger_(std::move(logger)) {
  const auto n = static_cast<std::size_t>(std::max(1, size));
  slots_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    free_.push_back(n - 1 - i);
  }
}

PgPool::Lease::~Lease() {
  if (pool_ != nullptr) {
    pool_->release(slot_);
  }
}

void PgPool::release(std::size_t slot) {
  {
    std::lock_guard lock(mu_);
    free_.push_back(slot);
  }
  cv_.notify_one();
}

Result<PgPool::Lease> PgPool::acquire(std::chrono::milliseconds wait) {
  std::size_t slot = 0;
  {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, wait, [&] { return !free_.empty(); })) {
      return Error{"db.unavailable", "all database connections are busy", {}};
    }
    slot = free_.back();
    free_.pop_back();
  }
  Lease lease(this, slot);  // returns the slot on every path below
  auto& conn = slots_[slot];
  if (!conn) {
    auto c = PgConnection::connect(options_, logger_);
    if (!c.ok()) {
      return c.error();
    }
    conn = std::move(c).value();
  } else if (!conn->ok()) {
    if (auto s = conn->reset(); !s.ok()) {
      return s.error();
    }
  }
  return lease;
}

}  // namespace vitals::hub::store
