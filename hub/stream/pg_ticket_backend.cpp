#include "hub/stream/pg_ticket_backend.hpp"

namespace vitals::hub::stream {

Status PgTicketBackend::put(const std::string& hash, const StoredTicket& ticket,
                            std::size_t max_outstanding, SystemTime now) {
  return store::inTransaction(pool_, acquire_wait_, [&](store::PgConnection& conn) -> Status {
    const auto when = store::pgTimestamp(now);
    // Expired tickets go as new ones come: the table stays as small as the busiest 30 s.
    if (auto r =
            conn.exec("DELETE FROM stream_tickets WHERE expires_at <= $1::timestamptz", {when});
        !r.ok()) {
      return r.error();
    }
    auto count = conn.exec("SELECT count(*) FROM stream_tickets");
    if (!count.ok()) {
      return count.error();
    }
    if (static_cast<std::size_t>(count->int64(0, 0)) >= max_outstanding) {
      return Error{
          "stream.busy", std::to_string(max_outstanding) + " stream tickets are outstanding", {}};
    }
    auto r = conn.exec(
        "INSERT INTO stream_tickets (token_hash, actor, role, expires_at) "
        "VALUES ($1, $2, $3, $4::timestamptz)",
        {hash, ticket.holder.actor, std::string(auth::toString(ticket.holder.role)),
         store::pgTimestamp(ticket.expires_at)});
    if (!r.ok()) {
      return r.error();
    }
    return okStatus();
  });
}

Result<std::optional<StoredTicket>> PgTicketBackend::take(const std::string& hash) {
  auto lease = pool_.acquire(acquire_wait_);
  if (!lease.ok()) {
    return lease.error();
  }
  // One statement: of two replicas redeeming the same ticket at once, one gets the row.
  auto r = lease->conn().exec(
      "DELETE FROM stream_tickets WHERE token_hash = $1 "
      "RETURNING actor, role, " VITALS_EPOCH_US("expires_at"),
      {hash});
  if (!r.ok()) {
    return r.error();
  }
  if (r->rows() == 0) {
    return std::optional<StoredTicket>();
  }
  const auto role = auth::parseRole(r->get(0, 1));
  if (!role) {
    return Error{"db.data", "stream ticket with an unknown role \"" + r->str(0, 1) + "\"", {}};
  }
  StoredTicket t;
  t.holder.actor = r->str(0, 0);
  t.holder.role = *role;
  t.expires_at = store::fromEpochMicros(r->get(0, 2));
  return std::optional<StoredTicket>(std::move(t));
}

}  // namespace vitals::hub::stream
