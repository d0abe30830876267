#include "hub/notify/pg_outbox_store.hpp"

#include <algorithm>

namespace vitals::hub::notify {

using store::pgTimestamp;

PgOutboxStore::PgOutboxStore(store::PgConnectOptions options,
                             std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)), logger_(std::move(logger)) {}

Result<store::PgConnection*> PgOutboxStore::conn() {
  if (conn_ && conn_->ok()) {
    return conn_.get();
  }
  conn_.reset();
  auto c = store::PgConnection::connect(options_, logger_);
  if (!c.ok()) {
    return c.error();
  }
  conn_ = std::move(c.value());
  return conn_.get();
}

Result<store::PgResult> PgOutboxStore::exec(const std::string& sql, const store::PgParams& params) {
  auto c = conn();
  if (!c.ok()) {
    return c.error();
  }
  auto r = (*c)->exec(sql, params);
  if (!r.ok() && !(*c)->ok()) {
    conn_.reset();
  }
  return r;
}

Result<std::vector<ClaimedRow>> PgOutboxStore::claim(const std::string& channel,
                                                     std::chrono::system_clock::time_point now,
                                                     std::chrono::milliseconds lease, int limit) {
  // One statement = one transaction: the claim is committed before anything is sent.
  auto r = exec(
      "UPDATE notification_outbox o SET status = 'sending', attempts = o.attempts + 1, "
      "next_attempt_at = $3 "
      "FROM (SELECT id FROM notification_outbox WHERE channel = $1 "
      "  AND status IN ('pending', 'sending') AND next_attempt_at <= $2 "
      "  ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) due "
      "WHERE o.id = due.id "
      "RETURNING o.id, o.idempotency_key, o.payload::text, o.attempts",
      {channel, pgTimestamp(now), pgTimestamp(now + lease), std::to_string(limit)});
  if (!r.ok()) {
    return r.error();
  }
  std::vector<ClaimedRow> rows;
  for (int i = 0; i < r->rows(); ++i) {
    rows.push_back(
        ClaimedRow{r->int64(i, 0), r->str(i, 1), r->str(i, 2), static_cast<int>(r->int64(i, 3))});
  }
  std::sort(rows.begin(), rows.end(),
            [](const ClaimedRow& a, const ClaimedRow& b) { return a.id < b.id; });
  return rows;
}

Status PgOutboxStore::finish(std::int64_t id, const AttemptRecord& a) {
  const std::string status = a.result == AttemptResult::Delivered ? "delivered"
                             : a.result == AttemptResult::Retry   ? "pending"
                                                                  : "failed";
  const auto& o = a.outcome;
  store::PgParams params{
      std::to_string(id),
      status,
      pgTimestamp(a.at),
      pgTimestamp(a.result == AttemptResult::Retry ? a.next_attempt_at : a.at),
      o.error,
      std::string(toString(a.result)),
      o.http_status != 0 ? std::optional<std::string>(std::to_string(o.http_status)) : std::nullopt,
      std::to_string(o.duration.count())};
  // Both writes in one statement (atomic); the attempt is recorded even when the row was
  // already delivered by another sender whose lease we outlived.
  auto r = exec(
      "WITH upd AS (UPDATE notification_outbox SET status = $2, "
      "  delivered_at = CASE WHEN $2 = 'delivered' THEN $3::timestamptz ELSE delivered_at END, "
      "  next_attempt_at = $4, last_error = $5 "
      "  WHERE id = $1 AND status <> 'delivered' RETURNING id) "
      "INSERT INTO notification_attempts (outbox_id, at, outcome, http_status, error, "
      "duration_ms) VALUES ($1, $3, $6, $7::integer, $5, $8)",
      params);
  if (!r.ok()) {
    return r.error();
  }
  return okStatus();
}

Result<std::vector<OutboxEntry>> PgOutboxStore::list(const std::string& status, int limit) {
  auto c = conn();
  if (!c.ok()) {
    return c.error();
  }
  return listOutbox(**c, status, limit);
}

Result<std::vector<OutboxEntry>> listOutbox(store::PgConnection& conn, const std::string& status,
                                            int limit) {
  auto r = conn.exec(
      "SELECT id, idempotency_key, channel, status, attempts, last_error, payload::text, "
      VITALS_EPOCH_US("created_at") ", " VITALS_EPOCH_US("next_attempt_at") ", " VITALS_EPOCH_US("delivered_at")
      " FROM notification_outbox WHERE ($1 = '' OR status = $1) ORDER BY id DESC LIMIT $2",
      {status, std::to_string(limit)});
  if (!r.ok()) {
    return r.error();
  }
  std::vector<OutboxEntry> out;
  for (int i = 0; i < r->rows(); ++i) {
    OutboxEntry e;
    e.id = r->int64(i, 0);
    e.idempotency_key = r->str(i, 1);
    e.channel = r->str(i, 2);
    e.status = r->str(i, 3);
    e.attempts = static_cast<int>(r->int64(i, 4));
    e.last_error = r->str(i, 5);
    e.payload = r->str(i, 6);
    e.created_at = store::fromEpochMicros(r->get(i, 7));
    e.next_attempt_at = store::fromEpochMicros(r->get(i, 8));
    if (!r->isNull(i, 9)) {
      e.delivered_at = store::fromEpochMicros(r->get(i, 9));
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace vitals::hub::notify
