#include "hub/preflight/checks.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "common/time/duration_format.hpp"

namespace vitals::hub::preflight {

bool agentOnline(const store::AgentRecord& agent) {
  return !agent.deregistered_at && !agent.unreachable_since;
}

CheckOutcome ServiceStatusCheck::run(const RunContext&) {
  std::set<std::string> names(services_.begin(), services_.end());
  const auto found = state_.servicesNamed(names);
  std::string bad;
  auto note = [&bad](const std::string& what) { bad += (bad.empty() ? "" : ", ") + what; };
  for (const auto& name : services_) {
    auto it = std::find_if(found.begin(), found.end(),
                           [&name](const state::ServiceState& s) { return s.name == name; });
    if (it == found.end()) {
      note(name + " is not known to the hub");
    } else if (std::find(accept_.begin(), accept_.end(), it->status) == accept_.end()) {
      note(name + " is " + std::string(toString(it->status)));
    }
  }
  const std::string seen = std::to_string(services_.size()) + " service(s) checked";
  return bad.empty() ? CheckOutcome::pass(seen) : CheckOutcome::fail(bad, seen);
}

CheckOutcome AgentsOnlineCheck::run(const RunContext&) {
  auto agents = agents_();
  if (!agents.ok()) {
    return CheckOutcome::fail("cannot read agents: " + agents.error().message);
  }
  const auto online = std::count_if(agents->begin(), agents->end(), agentOnline);
  const std::string seen = std::to_string(online) + " of " + std::to_string(agents->size()) +
                           " agent(s) online, need " + std::to_string(min_);
  if (online < min_) {
    return CheckOutcome::fail(seen);
  }
  return CheckOutcome::pass(seen);
}

CheckOutcome ClockSkewCheck::run(const RunContext&) {
  auto agents = agents_();
  if (!agents.ok()) {
    return CheckOutcome::fail("cannot read agents: " + agents.error().message);
  }
  std::string bad;
  int online = 0;
  for (const auto& a : *agents) {
    if (!agentOnline(a)) {
      continue;
    }
    ++online;
    if (a.clock_skew && std::abs(a.clock_skew->count()) > max_skew_.count()) {
      bad += (bad.empty() ? "" : ", ") + a.agent_id + " is " +
             formatDuration(std::chrono::milliseconds{std::abs(a.clock_skew->count())}) +
             (a.clock_skew->count() > 0 ? " ahead" : " behind");
    }
  }
  const std::string seen =
      std::to_string(online) + " online agent(s), max skew " + formatDuration(max_skew_);
  return bad.empty() ? CheckOutcome::pass(seen) : CheckOutcome::fail(bad, seen);
}

CheckOutcome MigrationsCurrentCheck::run(const RunContext&) {
  auto applied = applied_versions_();
  if (!applied.ok()) {
    return CheckOutcome::fail("cannot read the schema version: " + applied.error().message);
  }
  const std::set<int> have(applied->begin(), applied->end());
  const int latest_known = known_.empty() ? 0 : *std::max_element(known_.begin(), known_.end());
  const int latest_applied = have.empty() ? 0 : *have.rbegin();
  const std::string seen = "database at " + std::to_string(latest_applied) + ", hub knows " +
                           std::to_string(latest_known);
  if (latest_applied > latest_known) {
    return CheckOutcome::fail("database is newer than this hub: " + seen, seen);
  }
  std::string missing;
  for (int v : known_) {
    if (!have.contains(v)) {
      missing += (missing.empty() ? "" : ", ") + std::to_string(v);
    }
  }
  if (!missing.empty()) {
    return CheckOutcome::fail("migrations not applied: " + missing, seen);
  }
  return CheckOutcome::pass(seen);
}

CheckOutcome ProbeCheck::run(const RunContext&) {
  auto st = probe_();
  if (!st.ok()) {
    return CheckOutcome::fail(st.error().message);
  }
  return CheckOutcome::pass();
}

NotifierTestCheck::NotifierTestCheck(std::unique_ptr<notify::Notifier> notifier,
                                     std::string channel, std::string hub_id, const Clock& clock,
                                     std::chrono::milliseconds resend_interval)
    : notifier_(std::move(notifier)),
      channel_(std::move(channel)),
      hub_id_(std::move(hub_id)),
      clock_(clock),
      resend_interval_(resend_interval) {}

CheckOutcome NotifierTestCheck::run(const RunContext& ctx) {
  const auto now = clock_.steadyNow();
  if (!ctx.forced && last_sent_ && now - *last_sent_ < resend_interval_) {
    return last_;
  }
  notify::Notification n;
  n.incident = "preflight-" + hub_id_;
  n.transition = "test-" + formatRfc3339(clock_.now()) + "-" + std::to_string(sent_ + 1);
  n.channel = channel_;
  n.service = "vitals-hub";
  n.from_status = "unknown";
  n.to_status = "healthy";
  n.summary = "vitals pre-flight test message from hub " + hub_id_ + " (no action needed)";
  n.at = clock_.now();
  const auto outcome = notifier_->send(n);
  ++sent_;
  last_sent_ = now;
  const std::string seen = "test message on channel " + channel_ + " at " + formatRfc3339(n.at);
  if (outcome.delivered) {
    last_ = CheckOutcome::pass(seen + " delivered");
  } else {
    last_ = CheckOutcome::fail(
        "test message on channel " + channel_ + " not delivered: " +
            (outcome.error.empty() ? "HTTP " + std::to_string(outcome.http_status) : outcome.error),
        seen);
  }
  return last_;
}

}  // namespace vitals::hub::preflight
