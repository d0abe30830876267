#pragma once
// What this hub knows about the other hubs: the registry (one RemoteHub per hub heard from or
// registered) and the global service view (every service of every remote hub). Pure logic, no
// I/O, no clock (times come in); thread-safe: the receiver's loop writes, API threads read.
#include <chrono>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "hub/federation/summary.hpp"

namespace vitals::hub::federation {

struct RemoteHub {
  std::string id;
  std::string url;
  std::string version;
  std::vector<std::string> capabilities;  // from POST /api/v1/federation/register
  std::string overall_status = "unknown";
  std::optional<SystemTime> last_summary_at;  // the sender's timestamp of its newest summary
  std::optional<SystemTime> last_heard_at;    // our wall clock when it arrived
  std::uint32_t services_total = 0;
  std::uint32_t services_up = 0;
  std::uint32_t services_degraded = 0;
  std::uint32_t services_down = 0;
  std::uint32_t services_unknown = 0;
  std::uint32_t agents_online = 0;
  std::uint32_t agents_total = 0;
  std::uint32_t open_incidents = 0;
  bool stale = false;
  std::optional<SystemTime> registered_at;  // POST /api/v1/federation/register
  bool operator==(const RemoteHub&) const = default;
};

struct RemoteService {
  std::string hub_id;
  ServiceSummary summary;
  SystemTime updated_at{};  // our wall clock when its newest summary arrived
  bool operator==(const RemoteService&) const = default;
};

struct ServiceFilter {
  std::optional<HealthStatus> status;
  std::optional<std::string> hub;
};

class GlobalView {
 public:
  // What a summary changed (for the store): the hub row and the services that differ.
  struct Applied {
    bool accepted = false;
    std::string drop_reason;    // "gap" when a delta does not follow the last summary
    bool became_fresh = false;  // the hub was stale and is heard again
    RemoteHub hub;
    std::vector<RemoteService> upserted;
    std::vector<std::string> removed;
  };
  // Applies a validated summary. A full one replaces the hub's services; a delta must carry the
  // next sequence after the last accepted summary, else it is refused ("gap") and every delta
  // until the next full summary with it.
  Applied apply(const HubSummary& summary, SystemTime now, SteadyTime steady_now);
  // Marks hubs not heard for `stale_after` stale; returns them (only the newly stale).
  std::vector<RemoteHub> sweep(SteadyTime steady_now, std::chrono::milliseconds stale_after);
  // A hub announcing itself (url, version, capabilities); returns the updated row.
  RemoteHub announce(const std::string& id, const std::string& url, const std::string& version,
                     const std::vector<std::string>& capabilities, SystemTime now);
  // Start-up: rows from the database. They are stale until heard again (a delta then waits for a
  // full summary).
  void restore(std::vector<RemoteHub> hubs, std::vector<RemoteService> services,
               SteadyTime steady_now);

  std::vector<RemoteHub> hubs() const;  // sorted by id
  std::optional<RemoteHub> hub(const std::string& id) const;
  std::vector<RemoteService> services(const ServiceFilter& filter) const;  // by (hub, name)
  std::size_t serviceCount() const;

 private:
  struct Entry {
    RemoteHub hub;
    std::map<std::string, RemoteService> services;
    std::uint64_t last_sequence = 0;
    bool waiting_for_full = true;
    SteadyTime last_heard{};
  };
  static void count(Entry& e);
  mutable std::shared_mutex mu_;
  std::map<std::string, Entry> hubs_;
};

}  // namespace vitals::hub::federation
