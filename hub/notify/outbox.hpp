#pragma once
// The notification outbox (reliability rule 5). The alert policy's executor calls
// Outbox::enqueue() inside the transaction that records the state change, so the intent is
// committed with it or not at all; the Sender delivers from the table. OutboxStore is the
// sender's view of the table (claim, finish) and the API's (list).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"
#include "hub/notify/notification.hpp"
#include "hub/notify/notifier.hpp"
#include "hub/store/pg_connection.hpp"

namespace vitals::hub::notify {

class Outbox {
 public:
  explicit Outbox(const Clock& clock) : clock_(clock) {}
  // INSERT ... ON CONFLICT (idempotency_key) DO NOTHING on the caller's connection, inside the
  // caller's transaction (this neither begins nor commits). True when the row is new, false when
  // the same intent was already written.
  Result<bool> enqueue(store::PgConnection& tx, const Notification& n) const;

 private:
  const Clock& clock_;
};

// A row claimed for one attempt.
struct ClaimedRow {
  std::int64_t id = 0;
  std::string idempotency_key;
  std::string payload;  // JSON text
  int attempts = 0;     // including the one just claimed
};

enum class AttemptResult { Delivered, Retry, Failed };
std::string_view toString(AttemptResult r);

struct AttemptRecord {
  AttemptResult result = AttemptResult::Retry;
  DeliveryOutcome outcome;
  std::chrono::system_clock::time_point at{};
  std::chrono::system_clock::time_point next_attempt_at{};  // for Retry
};

// One outbox row as the API shows it.
struct OutboxEntry {
  std::int64_t id = 0;
  std::string idempotency_key;
  std::string channel;
  std::string status;
  int attempts = 0;
  std::string last_error;
  std::string payload;  // JSON text
  std::chrono::system_clock::time_point created_at{};
  std::chrono::system_clock::time_point next_attempt_at{};
  std::optional<std::chrono::system_clock::time_point> delivered_at;
};

class OutboxStore {
 public:
  virtual ~OutboxStore() = default;
  // Claims up to `limit` due rows of `channel` (pending, or sending whose lease ran out: their
  // sender died) with FOR UPDATE SKIP LOCKED, marks them sending until now + lease and counts
  // the attempt. Committed before the caller sends, so another hub skips them.
  virtual Result<std::vector<ClaimedRow>> claim(const std::string& channel,
                                                std::chrono::system_clock::time_point now,
                                                std::chrono::milliseconds lease, int limit) = 0;
  // Records the attempt and moves the row to delivered / pending (retry) / failed, in one
  // statement. A delivered row is never moved back.
  virtual Status finish(std::int64_t id, const AttemptRecord& attempt) = 0;
  // Newest first; status empty = any.
  virtual Result<std::vector<OutboxEntry>> list(const std::string& status, int limit) = 0;
};

}  // namespace vitals::hub::notify
