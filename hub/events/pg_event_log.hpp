#pragma once
#include "hub/events/event_log.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::events {

class PgEventLog final : public EventLog {
 public:
  explicit PgEventLog(store::PgPool& pool) : pool_(pool) {}
  Result<std::int64_t> accept(const EventRecord& e, SystemTime now) override;
  Status finish(const EventRecord& e, const std::string& outcome, const std::string& detail,
                SystemTime now) override;
  Result<std::vector<EventRecord>> recent(int limit) override;

 private:
  store::PgPool& pool_;
};

}  // namespace vitals::hub::events
