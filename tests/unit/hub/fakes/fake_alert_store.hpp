#pragma once
// In-memory AlertConfigStore and OutboxReader for API tests.
#include <map>

#include "hub/notify/alert_config.hpp"
#include "hub/notify/pg_alert_config_store.hpp"

namespace vitals::test {

class FakeAlertConfigStore final : public hub::notify::AlertConfigStore {
 public:
  Result<std::vector<hub::notify::AlertConfig>> list() override {
    std::vector<hub::notify::AlertConfig> out;
    for (const auto& [k, v] : rows_) {
      out.push_back(v);
    }
    return out;
  }
  Result<std::optional<hub::notify::AlertConfig>> get(const std::string& service) override {
    auto it = rows_.find(service);
    if (it == rows_.end()) {
      return std::optional<hub::notify::AlertConfig>{};
    }
    return std::optional<hub::notify::AlertConfig>{it->second};
  }
  Result<bool> put(const hub::notify::AlertConfig& c,
                   std::chrono::system_clock::time_point now) override {
    auto it = rows_.find(c.service);
    auto stored = c;
    stored.updated_at = now;
    stored.created_at = it == rows_.end() ? now : it->second.created_at;
    const bool created = it == rows_.end();
    rows_[c.service] = stored;
    return created;
  }
  Result<bool> remove(const std::string& service) override { return rows_.erase(service) == 1; }

 private:
  std::map<std::string, hub::notify::AlertConfig> rows_;
};

class FakeOutboxReader final : public hub::notify::OutboxReader {
 public:
  std::vector<hub::notify::OutboxEntry> entries;
  std::string last_status;
  int last_limit = 0;
  Result<std::vector<hub::notify::OutboxEntry>> list(const std::string& status,
                                                     int limit) override {
    last_status = status;
    last_limit = limit;
    return entries;
  }
};

}  // namespace vitals::test
