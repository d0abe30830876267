#pragma once
// Accepted inbound events (inbound_events, schema 0007) and their audit rows. Each write goes
// with its audit row in one transaction: "event.accept" is committed before the action runs,
// "event.action" records what came of it. PgEventLog is the real one; tests use a fake.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"

namespace vitals::hub::events {

struct EventRecord {
  std::int64_t id = 0;
  std::string source;  // "http:key:3", "http:hmac", "nats:<source>"
  std::string actor;   // the audit actor
  std::string event_type;
  std::string target;
  std::string payload_json = "{}";
  std::string rule;
  std::string agent;
  std::string action;
  std::map<std::string, std::string> params;
  std::string outcome = "accepted";
  std::string detail;
  SystemTime received_at{};
  std::optional<SystemTime> finished_at;
};

// Thread-safe.
class EventLog {
 public:
  virtual ~EventLog() = default;
  // Inserts the event (outcome as given) with its "event.accept" audit row; returns its id.
  [[nodiscard]] virtual Result<std::int64_t> accept(const EventRecord& e, SystemTime now) = 0;
  // Sets the final outcome and appends the "event.action" audit row (target agent:<id>).
  [[nodiscard]] virtual Status finish(const EventRecord& e, const std::string& outcome,
                                      const std::string& detail, SystemTime now) = 0;
  // Newest first.
  [[nodiscard]] virtual Result<std::vector<EventRecord>> recent(int limit) = 0;
};

}  // namespace vitals::hub::events
