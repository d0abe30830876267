#pragma once
// StatusStore + UptimeReader fake: records what the tracker writes, with the same idempotency as
// PostgreSQL (a transition to the open window's status writes nothing), and can fail on demand.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hub/store/status_store.hpp"

namespace vitals::test {

class FakeStatusStore final : public hub::store::StatusStore, public hub::store::UptimeReader {
 public:
  Status record(const std::vector<hub::policy::Transition>& transitions) override {
    ++record_calls;
    if (fail_records > 0) {
      --fail_records;
      return Error{"db.unavailable", "injected failure", {}};
    }
    for (const auto& t : transitions) {
      if (t.service != hub::policy::kAgentsGroupService) {
        auto it = open.find(t.service);
        if (it != open.end() && it->second.status == t.to) {
          if (t.cause == hub::policy::Cause::Stopped || t.cause == hub::policy::Cause::Removed) {
            changes.push_back(t);  // as PostgreSQL: the row, not a new window
          }
          continue;
        }
        if (it != open.end()) {
          auto closed = it->second;
          closed.ended_at = t.at;
          closed_windows[t.service].push_back(closed);
        }
        open[t.service] = hub::store::UptimeWindow{t.to, t.at, std::nullopt};
      }
      changes.push_back(t);
    }
    return okStatus();
  }
  Result<std::vector<hub::store::OpenWindow>> openWindows() override {
    std::vector<hub::store::OpenWindow> out;
    for (const auto& [s, w] : open) {
      out.push_back({s, w.status, w.started_at});
    }
    return out;
  }
  Status checkpoint(SystemTime until, SystemTime drop_before) override {
    checkpoints.push_back(until);
    last_drop_before = drop_before;
    return okStatus();
  }
  Result<std::vector<hub::policy::AgentLiveness>> liveness() override {
    if (fail_liveness) {
      return Error{"db.unavailable", "injected failure", {}};
    }
    std::vector<hub::policy::AgentLiveness> out;
    for (const auto& [id, a] : agents) {
      out.push_back(a);
    }
    return out;
  }
  Status setUnreachable(const std::vector<std::string>& ids,
                        std::optional<SystemTime> since) override {
    for (const auto& id : ids) {
      agents[id].unreachable = since.has_value();
    }
    return okStatus();
  }
  Result<std::vector<std::string>> forgetAgents(const std::vector<std::string>& ids,
                                                SystemTime at) override {
    std::vector<std::string> out;
    for (const auto& id : ids) {
      auto it = agents.find(id);
      if (it != agents.end() && !it->second.forgotten) {
        it->second.forgotten = true;
        it->second.unreachable = false;
        forgotten_at[id] = at;
        out.push_back(id);
      }
    }
    return out;
  }
  Status setClockSkew(const std::string& agent,
                      std::optional<std::chrono::milliseconds> skew) override {
    skews[agent] = skew;
    return okStatus();
  }

  // UptimeReader: canned answers.
  Result<std::map<std::string, hub::policy::StatusSeconds>> totals(
      SystemTime since, SystemTime, const std::optional<std::string>& service) override {
    last_since = since;
    ++totals_calls;
    if (unavailable) {
      return Error{"db.unavailable", "connection refused", {}};
    }
    if (service) {
      std::map<std::string, hub::policy::StatusSeconds> one;
      if (auto it = seconds.find(*service); it != seconds.end()) {
        one[*service] = it->second;
      }
      return one;
    }
    return seconds;
  }
  Result<std::vector<hub::store::UptimeWindow>> windows(const std::string& service, SystemTime,
                                                        SystemTime) override {
    return timeline[service];
  }
  Result<std::vector<hub::store::TrendBucket>> trends(const std::string& service, SystemTime since,
                                                      SystemTime) override {
    last_since = since;
    return buckets[service];
  }
  Result<bool> knows(const std::string& service) override {
    return seconds.count(service) != 0 || timeline.count(service) != 0;
  }

  // Knobs.
  int fail_records = 0;
  bool fail_liveness = false;
  bool unavailable = false;
  std::map<std::string, hub::policy::AgentLiveness> agents;
  std::map<std::string, hub::policy::StatusSeconds> seconds;
  std::map<std::string, std::vector<hub::store::UptimeWindow>> timeline;
  std::map<std::string, std::vector<hub::store::TrendBucket>> buckets;

  // Observations.
  int record_calls = 0;
  int totals_calls = 0;
  std::vector<hub::policy::Transition> changes;
  std::map<std::string, hub::store::UptimeWindow> open;
  std::map<std::string, std::vector<hub::store::UptimeWindow>> closed_windows;
  std::vector<SystemTime> checkpoints;
  std::optional<SystemTime> last_drop_before;
  std::map<std::string, std::optional<std::chrono::milliseconds>> skews;
  std::optional<SystemTime> last_since;
  std::map<std::string, SystemTime> forgotten_at;
};

}  // namespace vitals::test
