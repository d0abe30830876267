#pragma once
// Builds the hub's summaries from its state. Pure: no clock (`now` comes in), no I/O; it only
// remembers what it last sent, so it can send deltas and catalog events.
//
// Scheme: full() describes every service; delta() only the services whose status or endpoints
// changed since the last summary (latency and uptime are refreshed by the next full one) and
// the names that disappeared. Every summary takes the next sequence number; a receiver that
// misses one waits for the next full summary (docs/federation.md).
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hub/federation/summary.hpp"
#include "hub/state/hub_state.hpp"

namespace vitals::hub::federation {

// What every summary carries besides the services.
struct SummaryHeader {
  std::string hub_id;
  std::string version;
  std::string url;
  std::chrono::milliseconds interval{30000};
  SystemTime now{};
  std::uint32_t agents_online = 0;
  std::uint32_t agents_total = 0;
  std::uint32_t open_incidents = 0;
};

// "healthy" when every service is up, "down" when every one is down, "unknown" without services,
// else "degraded".
std::string overallStatus(const std::vector<HealthStatus>& statuses);

// A summary and the catalog events it implies.
struct Built {
  HubSummary summary;
  std::vector<CatalogEvent> catalog;
};

class SummaryBuilder {
 public:
  // Every service in `services` (HubState::services()).
  Built full(const SummaryHeader& header, const std::vector<state::ServiceState>& services);
  // Only the `candidates` (names that may have changed): those in `present` (their current
  // state; a candidate absent from it is gone). nullopt when none differs from what was sent.
  std::optional<Built> delta(const SummaryHeader& header, const std::set<std::string>& candidates,
                             const std::vector<state::ServiceState>& present);
  // Forget what was sent: full() starts over (a replica that just took over publishing). The
  // first full() after construction or reset() is the baseline: it raises no catalog events (the
  // services were there before this process looked).
  void reset();
  std::uint64_t sequence() const { return sequence_; }
  std::size_t known() const { return sent_.size(); }

 private:
  struct Sent {
    HealthStatus status = HealthStatus::Unknown;
    std::vector<std::string> endpoints;
    std::uint32_t endpoints_healthy = 0;
    SystemTime since{};  // when it entered `status`
    std::string agent;
  };
  ServiceSummary summarize(const state::ServiceState& s, SystemTime now);
  HubSummary header(const SummaryHeader& h, bool full);
  std::string overall() const;

  std::uint64_t sequence_ = 0;
  bool baseline_ = true;
  std::map<std::string, Sent> sent_;
};

}  // namespace vitals::hub::federation
