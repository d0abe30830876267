#pragma once
// Fakes for inbound events: an action runner that records requests and an in-memory event log.
#include <mutex>

#include "hub/events/action_runner.hpp"
#include "hub/events/event_log.hpp"

namespace vitals::test {

class FakeActionRunner final : public hub::events::ActionRunner {
 public:
  Result<hub::events::ActionReply> run(const hub::events::ActionRequest& r) override {
    std::lock_guard lock(mu);
    requests.push_back(r);
    if (unavailable) {
      return Error{"action.unavailable", "no reply from agent " + r.agent, {}};
    }
    return reply;
  }
  std::mutex mu;
  std::vector<hub::events::ActionRequest> requests;
  hub::events::ActionReply reply{"ok", 0, std::chrono::milliseconds{5}, "done\n", "", {}};
  bool unavailable = false;
};

class FakeEventLog final : public hub::events::EventLog {
 public:
  Result<std::int64_t> accept(const hub::events::EventRecord& e, SystemTime) override {
    if (unavailable) {
      return Error{"db.unavailable", "connection refused", {}};
    }
    auto copy = e;
    copy.id = static_cast<std::int64_t>(rows.size()) + 1;
    rows.push_back(copy);
    audit.push_back(e.actor + " event.accept " + e.outcome);
    return copy.id;
  }
  Status finish(const hub::events::EventRecord& e, const std::string& outcome,
                const std::string& detail, SystemTime) override {
    rows.at(static_cast<std::size_t>(e.id - 1)).outcome = outcome;
    rows.at(static_cast<std::size_t>(e.id - 1)).detail = detail;
    audit.push_back(e.actor + " event.action " + outcome);
    return okStatus();
  }
  Result<std::vector<hub::events::EventRecord>> recent(int limit) override {
    std::vector<hub::events::EventRecord> out(rows.rbegin(), rows.rend());
    if (static_cast<int>(out.size()) > limit) {
      out.resize(static_cast<std::size_t>(limit));
    }
    return out;
  }
  std::vector<hub::events::EventRecord> rows;
  std::vector<std::string> audit;
  bool unavailable = false;
};

}  // namespace vitals::test
