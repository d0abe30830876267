#pragma once
// AlertConfigStore and the outbox listing on pooled PostgreSQL connections (API threads).
#include "hub/notify/alert_config.hpp"
#include "hub/notify/outbox.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::notify {

// Rows of health_alert_configs matching `where` ("" or "WHERE ..."), ordered by service, on the
// caller's connection (the alert engine reads them inside its transaction).
Result<std::vector<AlertConfig>> selectAlertConfigs(store::PgConnection& conn,
                                                    const std::string& where,
                                                    const store::PgParams& p);

class PgAlertConfigStore final : public AlertConfigStore {
 public:
  explicit PgAlertConfigStore(store::PgPool& pool) : pool_(pool) {}
  Result<std::vector<AlertConfig>> list() override;
  Result<std::optional<AlertConfig>> get(const std::string& service) override;
  Result<bool> put(const AlertConfig& c, std::chrono::system_clock::time_point now) override;
  Result<bool> remove(const std::string& service) override;

 private:
  Result<std::vector<AlertConfig>> select(const std::string& where, const store::PgParams& p);
  store::PgPool& pool_;
};

// The API's read view of the outbox.
class OutboxReader {
 public:
  virtual ~OutboxReader() = default;
  virtual Result<std::vector<OutboxEntry>> list(const std::string& status, int limit) = 0;
};

class PgOutboxReader final : public OutboxReader {
 public:
  explicit PgOutboxReader(store::PgPool& pool) : pool_(pool) {}
  Result<std::vector<OutboxEntry>> list(const std::string& status, int limit) override;

 private:
  store::PgPool& pool_;
};

}  // namespace vitals::hub::notify
