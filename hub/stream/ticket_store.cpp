#include "hub/stream/ticket_store.hpp"

#include <array>

namespace vitals::hub::stream {

Status MemoryTicketBackend::put(const std::string& hash, const StoredTicket& ticket,
                                std::size_t max_outstanding, SystemTime now) {
  std::lock_guard lock(mutex_);
  if (tickets_.size() >= max_outstanding) {
    for (auto it = tickets_.begin(); it != tickets_.end();) {
      it = it->second.expires_at <= now ? tickets_.erase(it) : std::next(it);
    }
    if (tickets_.size() >= max_outstanding) {
      return Error{
          "stream.busy", std::to_string(max_outstanding) + " stream tickets are outstanding", {}};
    }
  }
  tickets_[hash] = ticket;
  return okStatus();
}

Result<std::optional<StoredTicket>> MemoryTicketBackend::take(const std::string& hash) {
  std::lock_guard lock(mutex_);
  const auto it = tickets_.find(hash);
  if (it == tickets_.end()) {
    return std::optional<StoredTicket>();
  }
  std::optional<StoredTicket> out = it->second;
  tickets_.erase(it);
  return out;
}

std::size_t MemoryTicketBackend::size() const {
  std::lock_guard lock(mutex_);
  return tickets_.size();
}

TicketStore::TicketStore(const Clock& clock, auth::SecureRandom& random, TicketSettings settings,
                         TicketBackend* backend)
    : clock_(clock),
      random_(random),
      settings_(settings),
      backend_(backend != nullptr ? *backend : own_) {}

Result<Ticket> TicketStore::issue(const TicketHolder& holder) {
  std::array<std::uint8_t, 32> bytes{};
  if (auto filled = random_.fill(bytes.data(), bytes.size()); !filled.ok()) {
    return filled.error();
  }
  Ticket t;
  t.token = "vt_" + auth::base64Url(bytes.data(), bytes.size());
  const auto now = clock_.now();
  t.expires_at = now + settings_.ttl;
  auto put = backend_.put(auth::hashKey(t.token), StoredTicket{holder, t.expires_at},
                          settings_.max_outstanding, now);
  if (!put.ok()) {
    if (put.error().code == "stream.busy") {
      return Error{
          "stream.busy",
          put.error().message + "; retry in " + std::to_string(settings_.ttl.count()) + " s",
          {}};
    }
    return put.error();
  }
  return t;
}

Result<TicketHolder> TicketStore::redeem(const std::string& token) {
  const Error bad{"stream.bad_ticket",
                  "the stream ticket is unknown, already used or expired (tickets are single-use "
                  "and live " +
                      std::to_string(settings_.ttl.count()) +
                      " s): get a new one with POST /api/v1/stream/tickets",
                  {}};
  if (token.size() != 3 + 43 || token.rfind("vt_", 0) != 0) {
    return bad;
  }
  auto taken = backend_.take(auth::hashKey(token));
  if (!taken.ok()) {
    return taken.error();
  }
  if (!taken.value() || taken.value()->expires_at <= clock_.now()) {
    return bad;
  }
  return taken.value()->holder;
}

}  // namespace vitals::hub::stream
