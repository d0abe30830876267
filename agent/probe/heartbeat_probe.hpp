#pragma once
// heartbeat (TTL / dead-man): other programs push "I'm alive" (optionally with a status and a
// message) to the agent's local endpoint (HeartbeatListener); the check is DOWN when no push
// came within its ttl.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/config/kind_specs.hpp"
#include "agent/probe/probe.hpp"
#include "common/time/clock.hpp"

namespace boost::asio {
class io_context;
}

namespace vitals::agent {

struct HeartbeatPush {
  SteadyTime at{};
  HealthStatus status = HealthStatus::Healthy;
  std::string message;
};

// The latest push per heartbeat check. Written by the listener's threads, read on the loop:
// every method locks.
class HeartbeatBoard {
 public:
  // Only expected names accept pushes (the configured heartbeat checks).
  void expect(const std::string& check);
  // false when check is not expected.
  bool push(const std::string& check, HeartbeatPush push);
  std::optional<HeartbeatPush> last(const std::string& check) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::optional<HeartbeatPush>> pushes_;
};

// Pure: the outcome for a check given its last push (if any), now, and when watching started.
ProbeOutcome evaluateHeartbeat(const HeartbeatCheckSpec& spec,
                               const std::optional<HeartbeatPush>& last, SteadyTime now,
                               SteadyTime watching_since);

// Reads board on the loop; done is posted to io. board, io and clock outlive the probe.
std::unique_ptr<Probe> makeHeartbeatProbe(const std::string& check, HeartbeatCheckSpec spec,
                                          HeartbeatBoard& board, boost::asio::io_context& io,
                                          Clock& clock);

}  // namespace vitals::agent
