#include "hub/notify/outbox.hpp"

namespace vitals::hub::notify {

Result<bool> Outbox::enqueue(store::PgConnection& tx, const Notification& n) const {
  const std::string now = store::pgTimestamp(clock_.now());
  auto r = tx.exec(
      "INSERT INTO notification_outbox (idempotency_key, channel, payload, created_at, "
      "next_attempt_at) VALUES ($1, $2, $3::jsonb, $4, $4) "
      "ON CONFLICT (idempotency_key) DO NOTHING",
      {n.idempotencyKey(), n.channel, toJson(n).dump(), now});
  if (!r.ok()) {
    return r.error();
  }
  return r->affected() == 1;
}

std::string_view toString(AttemptResult r) {
  switch (r) {
    case AttemptResult::Delivered:
      return "delivered";
    case AttemptResult::Retry:
      return "retry";
    case AttemptResult::Failed:
      return "failed";
  }
  return "failed";
}

}  // namespace vitals::hub::notify
