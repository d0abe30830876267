#pragma once
// ReadStore fake over a vector of results, with the same newest-first keyset paging as SQL.
#include <algorithm>
#include <tuple>

#include "common/text/glob.hpp"
#include "hub/store/read_store.hpp"

namespace vitals::test {

inline auto historyKey(const CheckResult& c) {
  return std::tie(c.observed_at, c.agent_id, c.boot_id, c.seq);
}

class FakeReadStore final : public hub::store::ReadStore {
 public:
  Result<hub::store::HistoryPage> history(const hub::store::HistoryQuery& q) override {
    ++history_calls;
    last_query = q;
    if (unavailable) {
      return Error{"db.unavailable", "connection refused", {}};
    }
    std::vector<hub::store::StoredResult> rows;
    for (const auto& r : results) {
      const auto& c = r.result;
      if ((!q.service.empty() && c.service != q.service) || (q.since && c.observed_at < *q.since) ||
          (q.until && c.observed_at >= *q.until) ||
          (!q.agent_id.empty() && c.agent_id != q.agent_id) ||
          (!q.kind.empty() && c.kind != q.kind)) {
        continue;
      }
      if (!q.statuses.empty() &&
          std::find(q.statuses.begin(), q.statuses.end(), c.status) == q.statuses.end()) {
        continue;
      }
      if (!q.service_globs.empty() &&
          std::none_of(q.service_globs.begin(), q.service_globs.end(),
                       [&](const std::string& g) { return text::globMatch(g, c.service); })) {
        continue;
      }
      if (q.after && !(historyKey(c) < std::tie(q.after->observed_at, q.after->agent_id,
                                                q.after->boot_id, q.after->seq))) {
        continue;
      }
      rows.push_back(r);
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return historyKey(b.result) < historyKey(a.result);
    });
    hub::store::HistoryPage page;
    const bool more = static_cast<int>(rows.size()) > q.limit;
    rows.resize(std::min<std::size_t>(rows.size(), static_cast<std::size_t>(q.limit)));
    page.results = rows;
    if (more && !rows.empty()) {
      const auto& last = rows.back().result;
      page.next =
          hub::store::HistoryCursor{last.observed_at, last.agent_id, last.boot_id, last.seq};
    }
    return page;
  }
  Result<std::vector<hub::store::AgentRecord>> agents() override {
    if (unavailable) {
      return Error{"db.unavailable", "connection refused", {}};
    }
    return agent_records;
  }
  Result<std::optional<hub::store::AgentRecord>> agent(const std::string& agent_id) override {
    if (unavailable) {
      return Error{"db.unavailable", "connection refused", {}};
    }
    for (const auto& a : agent_records) {
      if (a.agent_id == agent_id) {
        return std::optional<hub::store::AgentRecord>(a);
      }
    }
    return std::optional<hub::store::AgentRecord>();
  }
  Result<std::vector<hub::store::StoredCheck>> checks() override { return stored_checks; }
  Status ping() override {
    if (unavailable) {
      return Error{"db.unavailable", "connection refused", {}};
    }
    return okStatus();
  }

  bool unavailable = false;
  std::vector<hub::store::StoredResult> results;
  std::vector<hub::store::AgentRecord> agent_records;
  std::vector<hub::store::StoredCheck> stored_checks;
  int history_calls = 0;
  hub::store::HistoryQuery last_query;
};

}  // namespace vitals::test
