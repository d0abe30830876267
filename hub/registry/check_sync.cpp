#include "hub/registry/check_sync.hpp"

#include <spdlog/spdlog.h>

#include <map>

namespace vitals::hub::registry {

CheckSync::CheckSync(RegistryStore& store, repair::AgentCommands& agents, const Clock& clock,
                     CheckSyncSettings settings, std::shared_ptr<spdlog::logger> logger)
    : store_(store),
      agents_(agents),
      clock_(clock),
      settings_(std::move(settings)),
      logger_(std::move(logger)) {}

CheckSync::~CheckSync() { stop(); }

void CheckSync::start(std::function<void()> idle) {
  idle_ = std::move(idle);
  if (auto agents = store_.agentsWithChecks(); agents.ok()) {
    onRegistered(agents.value());
  } else {
    logger_->warn("api checks: cannot list the agents with checks: {}", agents.error().describe());
  }
  worker_ = std::thread([this] { run(); });
}

void CheckSync::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) {
    worker_.join();
  }
}

void CheckSync::request(const std::string& agent) {
  {
    std::lock_guard lock(mu_);
    if (queued_.insert(agent).second) {
      queue_.push_back(agent);
    }
  }
  cv_.notify_all();
}

void CheckSync::onRegistered(const std::vector<std::string>& agents) {
  for (const auto& a : agents) {
    request(a);
  }
}

std::string CheckSync::requestId() {
  std::lock_guard lock(mu_);
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(clock_.now().time_since_epoch())
          .count();
  return "checks-" + settings_.hub_id + "-" + std::to_string(us) + "-" + std::to_string(++counter_);
}

Result<repair::ApiCheckApplied> CheckSync::validate(const std::string& agent,
                                                    const std::string& name,
                                                    const std::string& definition) {
  repair::AgentCommand c;
  c.verb = "set-checks";
  c.request_id = requestId();
  c.agent = agent;
  c.dry_run = true;
  c.requested_by = "hub:" + settings_.hub_id;
  c.timeout = settings_.validate_timeout;
  c.checks.push_back({name, definition});
  auto reply = agents_.send(c);
  if (!reply.ok()) {
    return reply.error();
  }
  for (const auto& r : reply->check_results) {
    if (r.name == name) {
      return r;
    }
  }
  if (reply->outcome == "rejected") {
    return Error{"agent.rejected", reply->error, {}};
  }
  return Error{"agent.reply", "the agent's answer did not mention the check", {}};
}

Status CheckSync::syncNow(const std::string& agent) {
  auto rows = store_.checks(agent);
  if (!rows.ok()) {
    return rows.error();
  }
  if (rows->empty()) {
    return okStatus();
  }
  repair::AgentCommand c;
  c.verb = "set-checks";
  c.request_id = requestId();
  c.agent = agent;
  c.requested_by = "hub:" + settings_.hub_id;
  c.timeout = settings_.timeout;
  std::map<std::string, std::int64_t> sent;
  std::vector<std::pair<std::string, std::int64_t>> gone;
  for (const auto& row : rows.value()) {
    if (row.state == "deleting") {
      gone.emplace_back(row.name, row.generation);
      continue;
    }
    c.checks.push_back({row.name, row.definition});
    sent[row.name] = row.generation;
  }
  auto reply = agents_.send(c);
  if (!reply.ok()) {
    logger_->info(
        "api checks: agent {} not reached ({}); it gets its {} check(s) when it "
        "registers",
        agent, reply.error().describe(), sent.size());
    return reply.error();
  }
  std::vector<AppliedCheck> results;
  if (reply->outcome == "rejected") {
    // E.g. an agent too old to know set-checks: every check is refused with its reason.
    for (const auto& [name, generation] : sent) {
      results.push_back({name, generation, false, "the agent refused the set: " + reply->error});
    }
  } else {
    for (const auto& r : reply->check_results) {
      if (auto it = sent.find(r.name); it != sent.end()) {
        results.push_back({r.name, it->second, r.applied, r.error});
      }
    }
  }
  auto st = store_.recordApplied(agent, results, gone, clock_.now());
  if (!st.ok()) {
    return st;
  }
  std::size_t refused = 0;
  for (const auto& r : results) {
    refused += r.applied ? 0 : 1;
  }
  logger_->info("api checks: agent {} runs {} of {} check(s); {} removed", agent,
                results.size() - refused, sent.size(), gone.size());
  return okStatus();
}

void CheckSync::run() {
  auto next_idle = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      if (std::chrono::steady_clock::now() >= next_idle) {
        next_idle = std::chrono::steady_clock::now() + settings_.idle_every;
        if (idle_) {
          lock.unlock();
          idle_();
          lock.lock();
        }
        continue;
      }
      cv_.wait_until(lock, next_idle, [this] { return stopping_ || !queue_.empty(); });
      continue;
    }
    const std::string agent = queue_.front();
    queue_.pop_front();
    queued_.erase(agent);
    lock.unlock();
    if (auto st = syncNow(agent); !st.ok() && st.error().code != "agent.unavailable") {
      logger_->warn("api checks: sync of agent {} failed: {}", agent, st.error().describe());
    }
    lock.lock();
  }
}

}  // namespace vitals::hub::registry
