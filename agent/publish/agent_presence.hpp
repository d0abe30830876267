#pragma once
// The agent's presence on the bus: a Registration at start and after every (re)connect
// (retried until stored), a Heartbeat every heartbeat_interval, and a deregistration (a
// Registration with no checks) at a clean stop. All are JetStream publishes with message ids
// "<agent>.<boot>.reg.<n>", "<agent>.<boot>.hb.<n>" and "<agent>.<boot>.dereg".
//
// Threading: every method runs on the loop thread; publishes run on the WorkQueue.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/publish/bus_publisher.hpp"
#include "agent/runtime/work_queue.hpp"
#include "common/metrics/metrics.hpp"
#include "common/model/check_result.hpp"
#include "common/random/random.hpp"
#include "common/time/clock.hpp"

namespace spdlog {
class logger;
}

namespace vitals::agent {

struct PresenceSettings {
  std::string agent_id;
  std::string boot_id;
  std::string hostname;
  std::string version;
  std::chrono::milliseconds heartbeat_interval{10000};
  // The checks a Registration lists, built each time one is sent (registrations are rare; a
  // copy held for 2,000 checks would be about 0.3 MiB). Unset: none.
  std::function<std::vector<CheckSpec>()> checks;
  std::size_t check_count = 0;  // reported in heartbeats
  std::map<std::string, std::string> labels;
  std::vector<std::string> actions;      // names of the repair actions this agent may run
  std::vector<ActionSpec> action_specs;  // the same, with parameters and limits
  std::string config_hash;
  std::chrono::milliseconds retry_min{500};  // registration retry backoff
  std::chrono::milliseconds retry_max{10000};
};

// Numbers the heartbeat reports, read when each heartbeat is built.
struct PresenceCounters {
  std::uint64_t last_seq = 0;
  std::uint64_t buffered = 0;
};

class AgentPresence {
 public:
  AgentPresence(PresenceSettings settings, Clock& clock, Timers& timers, Random& random,
                BusPublisher& publisher, WorkQueue& queue,
                std::function<PresenceCounters()> counters, metrics::Registry& metrics,
                std::shared_ptr<spdlog::logger> logger);
  ~AgentPresence();
  AgentPresence(const AgentPresence&) = delete;
  AgentPresence& operator=(const AgentPresence&) = delete;

  // Publishes the first Registration and a Heartbeat now, then a Heartbeat every interval.
  void start();
  // After a (re)connect: publishes a new Registration (the next n).
  void reregister();
  // After a config reload: settings.checks now returns the new checks; publishes a
  // Registration.
  void checksChanged(std::size_t check_count, std::string config_hash);
  // Stops heartbeats and registration retries, publishes the deregistration once, then calls
  // done(stored).
  void stop(std::function<void(bool stored)> done);

  std::uint64_t registrationsStored() const { return registrations_stored_; }
  std::uint64_t heartbeatsSent() const { return heartbeat_n_; }

 private:
  Registration buildRegistration(bool with_checks) const;
  void publishRegistration();
  void onRegistrationPublished(std::uint64_t n, const Result<PublishAck>& ack);
  void heartbeat();
  void scheduleHeartbeat();
  void publish(std::string subject, std::string payload, std::string msg_id,
               std::function<void(Result<PublishAck>)> done);

  PresenceSettings settings_;
  Clock& clock_;
  Timers& timers_;
  Random& random_;
  BusPublisher& publisher_;
  WorkQueue& queue_;
  std::function<PresenceCounters()> counters_;
  std::shared_ptr<spdlog::logger> logger_;
  std::string id_prefix_;  // "<agent>.<boot>."

  std::uint64_t registration_n_ = 0;  // the registration we want stored
  std::uint64_t registrations_stored_ = 0;
  bool registration_publishing_ = false;
  std::uint32_t registration_failures_ = 0;
  TimerId registration_retry_ = 0;

  std::uint64_t heartbeat_n_ = 0;
  bool heartbeat_publishing_ = false;
  TimerId heartbeat_timer_ = 0;
  SteadyTime next_heartbeat_{};
  bool stopped_ = false;

  metrics::Counter& heartbeats_failed_;
  metrics::Counter& registrations_failed_;

  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vitals::agent
