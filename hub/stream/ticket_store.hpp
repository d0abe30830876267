#pragma once
// Short-lived, single-use stream tickets, so a browser can open an EventSource (which cannot
// send an Authorization header) without putting an API key in a URL. A caller authenticated
// with a key gets a ticket (POST /api/v1/stream/tickets) carrying its actor and role; the
// ticket opens one stream within its lifetime and is then gone. Where tickets live is the
// backend's job: in memory for one hub, in PostgreSQL (PgTicketBackend) so that a ticket issued
// by one replica opens a stream at any replica behind the same load balancer, still once.
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"
#include "hub/auth/api_key.hpp"

namespace vitals::hub::stream {

struct TicketSettings {
  std::chrono::seconds ttl{30};
  std::size_t max_outstanding = 10000;  // more unredeemed tickets are refused
};

struct Ticket {
  std::string token;  // "vt_" + 43 base64url characters (32 random bytes)
  SystemTime expires_at{};
};

struct TicketHolder {
  std::string actor;  // "key:<id>" of the key that asked for it
  auth::Role role = auth::Role::Readonly;
};

struct StoredTicket {
  TicketHolder holder;
  SystemTime expires_at{};
};

// Where tickets are kept, by the SHA-256 of their token (the token itself is never stored).
// Thread-safe.
class TicketBackend {
 public:
  virtual ~TicketBackend() = default;
  // Stores the ticket unless `max_outstanding` unexpired ones exist ("stream.busy"); may drop
  // expired ones on the way.
  virtual Status put(const std::string& hash, const StoredTicket& ticket,
                     std::size_t max_outstanding, SystemTime now) = 0;
  // Removes the ticket and returns it; nullopt when it is unknown (or already taken).
  virtual Result<std::optional<StoredTicket>> take(const std::string& hash) = 0;
};

// One hub's tickets, in memory.
class MemoryTicketBackend final : public TicketBackend {
 public:
  Status put(const std::string& hash, const StoredTicket& ticket, std::size_t max_outstanding,
             SystemTime now) override;
  Result<std::optional<StoredTicket>> take(const std::string& hash) override;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, StoredTicket> tickets_;
};

// Thread-safe (HTTP worker threads).
class TicketStore {
 public:
  // Without a backend, an in-memory one of its own.
  TicketStore(const Clock& clock, auth::SecureRandom& random, TicketSettings settings = {},
              TicketBackend* backend = nullptr);

  // "stream.busy" when max_outstanding unexpired tickets exist; "auth.random" if the CSPRNG
  // fails; the backend's error (e.g. "db.unavailable") otherwise.
  Result<Ticket> issue(const TicketHolder& holder);
  // The holder, once. "stream.bad_ticket" for an unknown, already used or expired ticket (the
  // message says which is not told apart, so a guess learns nothing); the backend's error when
  // it cannot be asked.
  Result<TicketHolder> redeem(const std::string& token);

 private:
  const Clock& clock_;
  auth::SecureRandom& random_;
  const TicketSettings settings_;
  MemoryTicketBackend own_;
  TicketBackend& backend_;
};

}  // namespace vitals::hub::stream
