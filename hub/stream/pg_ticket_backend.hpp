#pragma once
// Stream tickets in PostgreSQL (table stream_tickets), shared by every replica of a site: a
// ticket issued by one replica opens a stream at any of them, once.
#include <chrono>

#include "hub/store/pg_pool.hpp"
#include "hub/stream/ticket_store.hpp"

namespace vitals::hub::stream {

class PgTicketBackend final : public TicketBackend {
 public:
  explicit PgTicketBackend(store::PgPool& pool,
                           std::chrono::milliseconds acquire_wait = std::chrono::seconds{2})
      : pool_(pool), acquire_wait_(acquire_wait) {}
  Status put(const std::string& hash, const StoredTicket& ticket, std::size_t max_outstanding,
             SystemTime now) override;
  Result<std::optional<StoredTicket>> take(const std::string& hash) override;

 private:
  store::PgPool& pool_;
  std::chrono::milliseconds acquire_wait_;
};

}  // namespace vitals::hub::stream
