#pragma once
// The agent as one object: every subsystem is a member, declared in dependency order. Members
// are built top to bottom and destroyed bottom to top, so the declaration order is the start-up
// order and its reverse the shutdown order.
//
// The subsystems, top to bottom (each uses only what is above it):
//   core        the settings as started (checks dropped once the probes exist), the loop (one
//               thread runs it; others only post to it), clock, randomness, metrics, timers
//   bus         the NATS connection (reconnects in the background) and the JetStream publisher
//   queues      worker pools for blocking probes and for publishes (one thread: in order)
//   probes      the probe registry, heartbeat board and the loopback heartbeat listener
//   publish     the spool, the result pipeline, the scheduler (feeds the pipeline) and presence
//               (registration, heartbeats, deregistration)
//   commands    the action pool, executor, check runner, the CommandHandler and its listener
//   reload      the checks managed through the hub's API (set-checks) and the ConfigReloader
//               (SIGHUP), which leaves those alone
//   signals     SIGINT/SIGTERM (drain, deregister, stop) and SIGHUP (reload)
//   joiner      joins the worker pools before anything they reference goes away
//   listener    the command subscription: last, so it ends first
//
// Adding a subsystem: one member where its dependencies allow, one line in the constructor.
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/actions/command_handler.hpp"
#include "agent/actions/command_listener.hpp"
#include "agent/actions/scheduler_check_runner.hpp"
#include "agent/config/agent_config.hpp"
#include "agent/config/config_loader.hpp"
#include "agent/probe/heartbeat_listener.hpp"
#include "agent/probe/probe_registry.hpp"
#include "agent/publish/agent_presence.hpp"
#include "agent/publish/nats_bus_publisher.hpp"
#include "agent/publish/result_pipeline.hpp"
#include "agent/reload/config_reloader.hpp"
#include "agent/runtime/asio_work_queue.hpp"
#include "agent/scheduler/probe_scheduler.hpp"
#include "agent/spool/spool.hpp"
#include "common/asio/asio.hpp"
#include "common/asio/asio_timers.hpp"
#include "common/error/result.hpp"
#include "common/metrics/metrics.hpp"
#include "common/nats/nats_client.hpp"
#include "common/random/random.hpp"
#include "common/time/clock.hpp"

namespace vitals::agent::app {

// Joins worker pools on destruction (declared after everything their work touches).
class JoinOnDestruction {
 public:
  explicit JoinOnDestruction(std::vector<AsioWorkQueue*> queues) : queues_(std::move(queues)) {}
  ~JoinOnDestruction() {
    for (auto* q : queues_) {
      q->join();
    }
  }
  JoinOnDestruction(const JoinOnDestruction&) = delete;
  JoinOnDestruction& operator=(const JoinOnDestruction&) = delete;

 private:
  std::vector<AsioWorkQueue*> queues_;
};

// Loads the configuration and returns a copy of it. Why: parsing interleaves the long-lived
// config with the YAML trees (about 35 MiB at peak with 2,000 checks). The copy is made once the
// trees are freed, so it fills the low part of the heap, and freeing the original leaves the rest
// free for malloc_trim to return (bench/agent: 7.2 MiB of resident heap without the copy, 3.2
// MiB with it). Used at start and by every reload.
std::optional<AgentConfig> loadConfigCompact(const std::string& path, const LoadOptions& options,
                                             config::Problems& problems);

class AgentApp {
 public:
  // Sets up the NATS connection, opens the spool, builds every subsystem and the probes. An
  // error when any of that is impossible (its message says what).
  static Result<std::unique_ptr<AgentApp>> create(AgentConfig cfg, std::string config_path,
                                                  std::string hostname,
                                                  std::shared_ptr<spdlog::logger> logger);
  ~AgentApp();
  AgentApp(const AgentApp&) = delete;
  AgentApp& operator=(const AgentApp&) = delete;

  // Runs until SIGINT/SIGTERM (results drained, deregistered) or a second one.
  void run();

 private:
  AgentApp(AgentConfig cfg, std::string config_path, std::string hostname,
           std::shared_ptr<spdlog::logger> logger, std::unique_ptr<nats::Connection> bus,
           std::unique_ptr<Spool> spool);
  // The fallible part of building: heartbeat listener, probes. Drops the parsed checks.
  Status init();
  void onConnectionChange(bool up);  // NATS.c's thread
  void onSignal(int sig);            // loop thread
  void waitForSignal();
  void scheduleTrim();

  // ---- core ----
  AgentConfig cfg_;
  std::string config_path_;
  std::string hostname_;
  std::shared_ptr<spdlog::logger> logger_;
  boost::asio::io_context io_{1};  // one thread runs it: lets Asio skip some locking
  SystemClock clock_;
  StdRandom random_;
  metrics::Registry metrics_;
  metrics::Counter& nats_errors_;  // counted on NATS.c's thread
  AsioTimers timers_{io_};
  std::string boot_id_;
  std::atomic<bool> stopping_{false};

  // ---- bus ----
  std::unique_ptr<nats::Connection> bus_;
  NatsBusPublisher publisher_;

  // ---- queues ----
  AsioWorkQueue probe_queue_;
  AsioWorkQueue publish_queue_;  // one thread: publishes stay in order

  // ---- probes ----
  ProbeRegistry registry_;
  HeartbeatBoard heartbeats_;
  HeartbeatListener heartbeat_listener_;
  // metrics_listen: the same small HTTP endpoint with a board of no checks, so only GET /metrics
  // answers there.
  HeartbeatBoard no_heartbeats_;
  HeartbeatListener metrics_listener_;

  // ---- publish ----
  std::unique_ptr<Spool> spool_;
  ResultPipeline pipeline_;
  ProbeScheduler scheduler_;
  AgentPresence presence_;

  // ---- commands (processes and log reads run on their own small pool) ----
  AsioWorkQueue action_queue_;
  ProcessActionExecutor action_executor_;
  SchedulerCheckRunner check_runner_;
  CommandHandler commands_;

  // ---- reload ----
  ApiChecks api_checks_;
  ConfigReloader reloader_;

  // ---- signals ----
  boost::asio::signal_set signals_;

  // ---- joiner, then the command subscription (ends first) ----
  JoinOnDestruction workers_{{&action_queue_, &publish_queue_, &probe_queue_}};
  CommandListener command_listener_;
};

}  // namespace vitals::agent::app
