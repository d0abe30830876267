#pragma once
// Keepalive deadlines and clock skew: pure decisions on values read from PostgreSQL (hub clock).
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/time/clock.hpp"

namespace vitals::hub::policy {

struct LivenessSettings {
  int missed_heartbeats = 3;                           // deadline = interval x this
  std::chrono::milliseconds fallback_interval{30000};  // agents that never sent a heartbeat
  std::chrono::milliseconds skew_threshold{30000};
};

// An agent as the sweeper sees it (agents table).
struct AgentLiveness {
  std::string agent_id;
  SystemTime last_seen{};  // hub clock
  std::optional<std::chrono::milliseconds> heartbeat_interval;
  bool unreachable = false;                   // already marked
  bool deregistered = false;                  // stopped cleanly: never "unreachable"
  std::optional<SystemTime> deregistered_at;  // when it stopped (hub clock)
  std::optional<SystemTime> unreachable_since;
  bool forgotten = false;  // retired: out of the current view until it registers again
  // Its enrollment was revoked: cut off the bus on purpose, so never "unreachable" (no grouped
  // incident); its checks read unknown "agent revoked" instead.
  bool revoked = false;
  std::optional<SystemTime> revoked_at;
};

// Agent lifecycle settings (`agents:`).
struct LifecycleSettings {
  // A stopped agent that registers again within this returns quietly (no stop/start notices).
  std::chrono::milliseconds restart_grace{std::chrono::minutes{2}};
  // Stopped or unreachable longer than this: the agent and its services leave the current
  // view. 0 = never.
  std::chrono::milliseconds forget_after{std::chrono::hours{24 * 7}};
};

// Agents to retire at `now`: not yet forgotten, and deregistered or unreachable for longer than
// forget_after (none when it is 0). Sorted by id.
std::vector<std::string> agentsToForget(const std::vector<AgentLiveness>& agents, SystemTime now,
                                        std::chrono::milliseconds forget_after);
// Whether an agent that stopped at `stopped_at` and registers at `now` is back within the grace.
bool backWithinGrace(SystemTime stopped_at, SystemTime now, std::chrono::milliseconds grace);

// last_seen + interval x missed (the fallback interval when none is known). `watching_since` is
// when this hub process started watching: an agent cannot be blamed for silence the hub could
// not hear (its messages wait in JetStream while the hub is down), so the deadline counts from
// max(last_seen, watching_since). An agent that died while the hub was down is therefore found
// one deadline after the start, from `last_seen` in PostgreSQL.
SystemTime keepaliveDeadline(const AgentLiveness& agent, const LivenessSettings& settings,
                             SystemTime watching_since = {});

// Agents past their deadline at `now` that are not yet marked unreachable and did not
// deregister, sorted by id.
std::vector<std::string> overdueAgents(const std::vector<AgentLiveness>& agents, SystemTime now,
                                       const LivenessSettings& settings,
                                       SystemTime watching_since = {});

// What one sweep changes. An agent is unreachable when it did not deregister and `now` is past
// its deadline. `known_unreachable` is the hub's in-memory view; AgentLiveness::unreachable is
// the database's (they differ after a restart or a failed write, and converge here).
struct SweepPlan {
  std::vector<std::string> newly_unreachable;  // mark in memory; one grouped event
  std::vector<std::string> returned;           // reachable again (memory)
  std::vector<std::string> db_mark;            // set unreachable_since
  std::vector<std::string> db_clear;           // clear unreachable_since
};
SweepPlan planSweep(const std::vector<AgentLiveness>& agents,
                    const std::set<std::string>& known_unreachable, SystemTime now,
                    const LivenessSettings& settings, SystemTime watching_since = {});

// Agents that are not overdue yet but have been silent for all but the last heartbeat of their
// deadline: interval x (missed_heartbeats - 1), at least half an interval. While some agents
// are overdue, these are the ones the same outage is still bringing to their deadlines (the
// last heartbeats of agents that vanish together spread over one interval). Sorted by id.
std::vector<std::string> silentAgents(const std::vector<AgentLiveness>& agents, SystemTime now,
                                      const LivenessSettings& settings,
                                      SystemTime watching_since = {});

// Holds the grouped "N agents unreachable" event back while an outage is still unfolding, so
// agents that vanish together raise ONE grouped incident although their deadlines fall into
// different sweeps. Each agent is marked unreachable (its services unknown, no page) in the
// sweep that finds it; only the grouped event waits. It is released when no agent is silent
// any more (every agent of the outage has reached its deadline, or was heard from again), or
// when it has waited `max_hold`.
class UnreachableGroup {
 public:
  // One sweep at `now`: agents found overdue, agents heard from again (they leave the group
  // if it is still held), and silentAgents(). Returns the agents to announce in one grouped
  // event now, sorted; empty while held or when there is nothing to announce.
  std::vector<std::string> sweep(const std::vector<std::string>& newly_unreachable,
                                 const std::vector<std::string>& returned,
                                 const std::vector<std::string>& silent, SystemTime now,
                                 std::chrono::milliseconds max_hold);
  // Agents heard from between sweeps leave a held group.
  void leave(const std::vector<std::string>& agents);
  bool held() const { return !pending_.empty(); }

 private:
  std::set<std::string> pending_;
  SystemTime since_{};
};

// Clock skew from a heartbeat: sent_at (agent clock) - received_at (hub clock). A message that
// waited in JetStream (hub down, replay) looks like an agent clock running behind, so a skew
// "behind" is reported only when the previous heartbeat of the same agent showed the same
// offset (within `tolerance`): replayed heartbeats arrive together, so their offsets differ by
// about the heartbeat interval. A clock "ahead" cannot come from delay and is reported at once.
// Returns the skew to record, or nullopt when it is within the threshold (or not yet certain).
std::optional<std::chrono::milliseconds> assessSkew(
    std::optional<std::chrono::milliseconds> previous_offset, std::chrono::milliseconds offset,
    std::chrono::milliseconds threshold,
    std::chrono::milliseconds tolerance = std::chrono::milliseconds{1000});

}  // namespace vitals::hub::policy
