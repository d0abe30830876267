#include "hub/replica/state_sync.hpp"

#include <variant>

namespace vitals::hub::replica {

namespace {
constexpr std::size_t kMaxQueued = 10000;  // beyond: drop the queue and rebuild instead
}

StateSync::StateSync(std::string replica_id, state::HubState& state, SyncHooks hooks,
                     metrics::Registry& r, std::shared_ptr<spdlog::logger> logger)
    : replica_id_(std::move(replica_id)),
      state_(state),
      hooks_(std::move(hooks)),
      logger_(std::move(logger)),
      sent_(r.counter("vitals_replica_updates_sent_total", "State updates sent to the replicas")),
      applied_(r.counter("vitals_replica_updates_applied_total",
                         "State updates from other replicas applied")),
      invalid_(r.counter("vitals_replica_updates_invalid_total",
                         "State updates that did not decode (dropped)")),
      gaps_(r.counter("vitals_replica_gaps_total",
                      "Missed state updates detected (sequence jumps, reconnects)")),
      rebuilds_(r.counter("vitals_replica_rebuilds_total",
                          "Rebuilds of the state from PostgreSQL after a gap")),
      publish_errors_(r.counter("vitals_replica_publish_errors_total",
                                "State updates that could not be published")) {}

StateSync::~StateSync() { stop(); }

void StateSync::onTransitions(const std::vector<policy::Transition>& transitions) {
  std::lock_guard lock(send_mu_);
  for (const auto& t : transitions) {
    if (t.service != policy::kAgentsGroupService) {
      recorded_[t.service] = t.to;
    }
  }
}

void StateSync::send(StateUpdate u) {
  std::string bytes;
  {
    std::lock_guard lock(send_mu_);
    u.origin = replica_id_;
    u.seq = ++seq_;
    u.recorded.swap(recorded_);
    recorded_.clear();
    bytes = encodeStateUpdate(u);
    // Published under the lock so that sequence order is publish order.
    if (auto s = hooks_.publish(bytes); !s.ok()) {
      publish_errors_.inc();
      logger_->debug("cannot publish a state update: {}", s.error().describe());
      return;
    }
  }
  sent_.inc();
}

void StateSync::publishBatch(const store::IngestBatch& batch) {
  StateUpdate u;
  std::set<std::string> alive;
  for (const auto& e : batch.catalog) {
    if (const auto* reg = std::get_if<Registration>(&e)) {
      u.registrations.push_back(*reg);
    }
    std::visit([&alive](const auto& v) { alive.insert(v.agent_id); }, e);
  }
  for (const auto& e : batch.catalog) {
    if (const auto* d = std::get_if<store::Deregistration>(&e)) {
      // The tracker already applied it: send what it decided (a stale boot's is not there).
      if (const auto at = state_.stoppedAt(d->agent_id)) {
        u.stopped[d->agent_id] = *at;
      }
    }
  }
  for (const CheckResult* r : store::newestPerCheck(batch.results)) {
    u.results.push_back(*r);
    alive.insert(r->agent_id);
  }
  u.alive.assign(alive.begin(), alive.end());
  send(std::move(u));
}

void StateSync::publishForgotten(const std::vector<std::string>& agents) {
  StateUpdate u;
  u.forgotten = agents;
  send(std::move(u));
}

void StateSync::publishSweep() {
  StateUpdate u;
  const auto unreachable = state_.unreachableAgents();
  u.unreachable = std::vector<std::string>(unreachable.begin(), unreachable.end());
  send(std::move(u));
}

void StateSync::enqueue(std::string data) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= kMaxQueued) {
      queue_.clear();
      rebuild_ = true;
      gaps_.inc();
    } else {
      queue_.push_back(std::move(data));
    }
  }
  cv_.notify_one();
}

void StateSync::requestRebuild() {
  {
    std::lock_guard lock(mu_);
    rebuild_ = true;
  }
  gaps_.inc();
  cv_.notify_one();
}

bool StateSync::rebuildPending() const {
  std::lock_guard lock(mu_);
  return rebuild_;
}

bool StateSync::apply(const StateUpdate& u) {
  if (u.origin == replica_id_) {
    return false;
  }
  auto [it, first] = last_seq_.try_emplace(u.origin, u.seq);
  if (!first) {
    if (u.seq > it->second + 1) {
      logger_->warn("missed {} state update(s) from replica {}; rebuilding from the database",
                    u.seq - it->second - 1, u.origin);
      requestRebuild();
    } else if (u.seq <= it->second) {
      // A restarted sender (it counts from 1 again) may have died between a commit and its
      // update: what it committed is in the database.
      logger_->info("replica {} restarted; rebuilding from the database", u.origin);
      requestRebuild();
    }
    it->second = u.seq;
  }
  for (const auto& reg : u.registrations) {
    state_.applyRegistration(reg);
    state_.clearStopped(reg.agent_id);  // registered again: no longer stopped
  }
  for (const auto& [agent, at] : u.stopped) {
    state_.setStopped(agent, "", at);
  }
  for (const auto& agent : u.forgotten) {
    state_.forgetAgent(agent);
  }
  for (const auto& r : u.results) {
    state_.applyResult(r);
  }
  for (const auto& a : u.alive) {
    state_.setUnreachable(a, false);
  }
  if (u.unreachable) {
    const std::set<std::string> now(u.unreachable->begin(), u.unreachable->end());
    for (const auto& a : state_.unreachableAgents()) {
      if (now.count(a) == 0) {
        state_.setUnreachable(a, false);
      }
    }
    for (const auto& a : now) {
      state_.setUnreachable(a, true);
    }
  }
  if (!u.recorded.empty() && hooks_.adopt) {
    hooks_.adopt(u.recorded);
  }
  applied_.inc();
  return true;
}

std::size_t StateSync::drain() {
  std::deque<std::string> batch;
  bool rebuild = false;
  {
    std::lock_guard lock(mu_);
    batch.swap(queue_);
    rebuild = rebuild_;
  }
  std::size_t applied = 0;
  for (const auto& data : batch) {
    auto u = decodeStateUpdate(data);
    if (!u.ok()) {
      invalid_.inc();
      logger_->warn("dropped an invalid state update: {}", u.error().describe());
      continue;
    }
    applied += apply(u.value()) ? 1 : 0;
  }
  {
    std::lock_guard lock(mu_);
    rebuild = rebuild || rebuild_;
  }
  if (rebuild && hooks_.rebuild) {
    {
      std::lock_guard lock(mu_);
      rebuild_ = false;
    }
    if (auto s = hooks_.rebuild(); !s.ok()) {
      logger_->warn("cannot rebuild the state from the database (retrying): {}",
                    s.error().describe());
      std::lock_guard lock(mu_);
      rebuild_ = true;
    } else {
      rebuilds_.inc();
    }
  }
  return applied;
}

void StateSync::start() {
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void StateSync::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void StateSync::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (queue_.empty() && !rebuild_) {
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty() || rebuild_; });
      continue;
    }
    const bool retry_later = queue_.empty() && rebuild_;
    lock.unlock();
    try {
      drain();
    } catch (const std::exception& e) {
      logger_->error("applying state updates failed: {}", e.what());
    }
    lock.lock();
    if (retry_later && rebuild_) {
      // The database is away: try again in a second rather than spinning.
      cv_.wait_for(lock, std::chrono::seconds{1}, [this] { return stopping_; });
    }
  }
}

}  // namespace vitals::hub::replica
