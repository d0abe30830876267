#pragma once
// Short-lived, single-use stream tickets, so a browser can open an EventSource (which cannot
// send an Authorization header) without putting an API key in a URL. A caller authenticated
// with a key gets a ticket (POST /api/v1/stream/tickets) carrying its actor and role; the
// ticket opens one stream within its lifetime and is then gone. Kept in memory only: a ticket
// is redeemed at the hub (replica) that issued it.
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
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

// Thread-safe (HTTP worker threads).
class TicketStore {
 public:
  TicketStore(const Clock& clock, auth::SecureRandom& random, TicketSettings settings = {});

  // "stream.busy" when max_outstanding unexpired tickets exist; "auth.random" if the CSPRNG
  // fails.
  Result<Ticket> issue(const TicketHolder& holder);
  // The holder, once. "stream.bad_ticket" for an unknown, already used or expired ticket (the
  // message says which is not told apart, so a guess learns nothing).
  Result<TicketHolder> redeem(const std::string& token);

  std::size_t outstanding() const;

 private:
  void pruneExpired(SystemTime now);
  const Clock& clock_;
  auth::SecureRandom& random_;
  const TicketSettings settings_;
  mutable std::mutex mutex_;
  // SHA-256 of the token -> holder and expiry (the token itself is not kept).
  struct Entry {
    TicketHolder holder;
    SystemTime expires_at;
  };
  std::map<std::string, Entry> tickets_;
};

}  // namespace vitals::hub::stream
