#include "hub/stream/ticket_store.hpp"

#include <array>

namespace vitals::hub::stream {

TicketStore::TicketStore(const Clock& clock, auth::SecureRandom& random, TicketSettings settings)
    : clock_(clock), random_(random), settings_(settings) {}

void TicketStore::pruneExpired(SystemTime now) {
  for (auto it = tickets_.begin(); it != tickets_.end();) {
    it = it->second.expires_at <= now ? tickets_.erase(it) : std::next(it);
  }
}

Result<Ticket> TicketStore::issue(const TicketHolder& holder) {
  std::array<std::uint8_t, 32> bytes{};
  if (auto filled = random_.fill(bytes.data(), bytes.size()); !filled.ok()) {
    return filled.error();
  }
  Ticket t;
  t.token = "vt_" + auth::base64Url(bytes.data(), bytes.size());
  const auto now = clock_.now();
  t.expires_at = now + settings_.ttl;
  std::lock_guard lock(mutex_);
  if (tickets_.size() >= settings_.max_outstanding) {
    pruneExpired(now);
    if (tickets_.size() >= settings_.max_outstanding) {
      return Error{"stream.busy",
                   std::to_string(settings_.max_outstanding) +
                       " stream tickets are outstanding; retry in " +
                       std::to_string(settings_.ttl.count()) + " s",
                   {}};
    }
  }
  tickets_[auth::hashKey(t.token)] = Entry{holder, t.expires_at};
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
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  const auto it = tickets_.find(auth::hashKey(token));
  if (it == tickets_.end()) {
    return bad;
  }
  const Entry entry = it->second;
  tickets_.erase(it);
  if (entry.expires_at <= now) {
    return bad;
  }
  return entry.holder;
}

std::size_t TicketStore::outstanding() const {
  std::lock_guard lock(mutex_);
  return tickets_.size();
}

}  // namespace vitals::hub::stream
