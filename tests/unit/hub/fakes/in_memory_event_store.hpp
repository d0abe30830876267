#pragma once
// EventStore fake: keeps rows and catalog in memory with the same dedup key as PostgreSQL, and
// can be told to fail (a database outage) or to refuse certain rows (a data error).
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "hub/store/event_store.hpp"

namespace vitals::test {

class InMemoryEventStore final : public hub::store::EventStore {
 public:
  using Key = std::tuple<std::string, std::string, std::uint64_t, SystemTime>;

  Result<hub::store::CommitReport> commit(const hub::store::IngestBatch& batch) override {
    ++commit_calls;
    if (before_commit) {
      before_commit(batch);
    }
    if (fail_commits > 0) {
      --fail_commits;
      return Error{fail_code, "injected failure", {}};
    }
    for (const auto& r : batch.results) {
      if (refuse && refuse(r)) {
        return Error{"db.data", "row refused: " + r.message, "22021"};
      }
    }
    hub::store::CommitReport report;
    for (const auto& r : batch.results) {
      if (rows.emplace(Key{r.agent_id, r.boot_id, r.seq, r.observed_at}, r).second) {
        ++report.inserted;
      } else {
        ++report.duplicates;
      }
    }
    for (const auto& e : batch.catalog) {
      catalog.push_back(e);
    }
    ++commits;
    return report;
  }

  Status maintain(SystemTime now) override {
    ++maintain_calls;
    last_maintain = now;
    if (fail_maintain) {
      return Error{"db.unavailable", "injected failure", {}};
    }
    return okStatus();
  }

  Status reconnect() override {
    ++reconnect_calls;
    if (fail_reconnects > 0) {
      --fail_reconnects;
      return Error{"db.unavailable", "still down", {}};
    }
    return okStatus();
  }

  // Knobs.
  int fail_commits = 0;
  std::string fail_code = "db.unavailable";
  int fail_reconnects = 0;
  bool fail_maintain = false;
  std::function<bool(const CheckResult&)> refuse;
  std::function<void(const hub::store::IngestBatch&)> before_commit;

  // Observations.
  std::map<Key, CheckResult> rows;
  std::vector<hub::store::CatalogEvent> catalog;
  int commits = 0;
  int commit_calls = 0;
  int maintain_calls = 0;
  int reconnect_calls = 0;
  std::optional<SystemTime> last_maintain;
};

}  // namespace vitals::test
