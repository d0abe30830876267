#pragma once
// OutboxStore on PostgreSQL. Owns one connection (opened lazily, re-opened when broken), so
// each sender thread has its own instance. Not thread-safe.
#include <spdlog/logger.h>

#include <memory>

#include "hub/notify/outbox.hpp"
#include "hub/store/pg_connection.hpp"

namespace vitals::hub::notify {

class PgOutboxStore final : public OutboxStore {
 public:
  PgOutboxStore(store::PgConnectOptions options, std::shared_ptr<spdlog::logger> logger);
  Result<std::vector<ClaimedRow>> claim(const std::string& channel,
                                        std::chrono::system_clock::time_point now,
                                        std::chrono::milliseconds lease, int limit) override;
  Status finish(std::int64_t id, const AttemptRecord& attempt) override;
  Result<std::vector<OutboxEntry>> list(const std::string& status, int limit) override;

 private:
  Result<store::PgConnection*> conn();
  // Runs one statement; drops a broken connection so the next call reconnects.
  Result<store::PgResult> exec(const std::string& sql, const store::PgParams& params);
  store::PgConnectOptions options_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<store::PgConnection> conn_;
};

// The list query on any connection (the API uses a pooled one).
Result<std::vector<OutboxEntry>> listOutbox(store::PgConnection& conn, const std::string& status,
                                            int limit);

}  // namespace vitals::hub::notify
