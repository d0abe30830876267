#pragma once
// Keeps the in-memory state of the replicas of one site in agreement.
//
// Every replica ingests a share of the agents' batches (they pull from one durable consumer).
// After each ingest commit (and after each staleness sweep of the replica holding the sweeper
// job) the replica publishes a StateUpdate on the core NATS subject vitals.hub.<group>.state;
// every other replica applies it: results only when newer than what it holds (the per-check
// (boot_id, seq) order, HubState::applyResult), registrations, reachability, and the statuses
// the sender recorded (so its own tracker does not record them again). Core NATS may drop a
// message (slow consumer, reconnect): a sequence jump from a sender, or our own reconnect,
// triggers a rebuild from PostgreSQL — the source of truth, which every update describes
// after its commit. So does a sender that restarted (its sequence starts again): it may have
// died between a commit and the update.
//
// Threads: publish*() on the thread that committed (ingest, sweeper); enqueue() on the NATS
// callback thread (never blocks); a worker thread of its own applies the queue and rebuilds.
#include <spdlog/logger.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/error/result.hpp"
#include "common/metrics/metrics.hpp"
#include "hub/replica/state_update.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/status/transition_sink.hpp"
#include "hub/store/event_store.hpp"

namespace vitals::hub::replica {

struct SyncHooks {
  // Sends bytes on the group's subject.
  std::function<Status(std::string_view data)> publish;
  // The statuses another replica recorded (StatusTracker::adoptRecorded).
  std::function<void(const std::map<std::string, HealthStatus>&)> adopt;
  // Reloads the state (checks, reachability, recorded statuses) from PostgreSQL.
  std::function<Status()> rebuild;
};

class StateSync final : public status::TransitionSink {
 public:
  // Metrics: vitals_replica_updates_sent_total, vitals_replica_updates_applied_total,
  // vitals_replica_updates_invalid_total, vitals_replica_gaps_total,
  // vitals_replica_rebuilds_total, vitals_replica_publish_errors_total.
  StateSync(std::string replica_id, state::HubState& state, SyncHooks hooks,
            metrics::Registry& registry, std::shared_ptr<spdlog::logger> logger);
  ~StateSync() override;
  StateSync(const StateSync&) = delete;
  StateSync& operator=(const StateSync&) = delete;

  // TransitionSink (tracker thread): statuses recorded here go out with the next update.
  void onTransitions(const std::vector<policy::Transition>& transitions) override;
  // Ingest thread, after the tracker saw the batch.
  void publishBatch(const store::IngestBatch& batch);
  // Sweeper thread, after a sweep: the full set of unreachable agents.
  void publishSweep();
  // After agents were retired (API or sweep): the others drop them from their state.
  void publishForgotten(const std::vector<std::string>& agents);

  // NATS callback thread: queues the message for the worker.
  void enqueue(std::string data);
  // After our own NATS reconnect (updates may have been lost): rebuild.
  void requestRebuild();

  void start();
  void stop();
  // The worker's step (tests drive it directly): applies queued updates and a due rebuild.
  // Returns the number of updates applied.
  std::size_t drain();
  // Applies one update (false: it was our own or invalid). A sequence jump requests a rebuild.
  bool apply(const StateUpdate& update);
  bool rebuildPending() const;

 private:
  void send(StateUpdate u);
  void run();

  std::string replica_id_;
  state::HubState& state_;
  SyncHooks hooks_;
  std::shared_ptr<spdlog::logger> logger_;
  metrics::Counter& sent_;
  metrics::Counter& applied_;
  metrics::Counter& invalid_;
  metrics::Counter& gaps_;
  metrics::Counter& rebuilds_;
  metrics::Counter& publish_errors_;

  std::mutex send_mu_;  // seq order = publish order
  std::uint64_t seq_ = 0;
  std::map<std::string, HealthStatus> recorded_;  // not yet sent

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool rebuild_ = false;
  bool stopping_ = false;
  std::map<std::string, std::uint64_t> last_seq_;  // per sender (worker only)
  std::thread thread_;
};

}  // namespace vitals::hub::replica
