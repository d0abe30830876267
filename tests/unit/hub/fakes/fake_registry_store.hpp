#pragma once
// RegistryStore in memory (service_meta and api_checks as maps), with the same rules as the
// PostgreSQL one: create_only conflicts with a live row, generations grow with each change, and
// answers only settle the generation they were for.
#include <map>
#include <mutex>

#include "hub/registry/registry_store.hpp"

namespace vitals::test {

class FakeRegistryStore final : public hub::registry::RegistryStore {
 public:
  using Meta = hub::registry::ServiceMeta;
  using Row = hub::registry::ApiCheckRow;

  Result<std::vector<Meta>> loadMeta() override {
    std::lock_guard lock(mu_);
    std::vector<Meta> out;
    for (const auto& [k, v] : meta) {
      out.push_back(v);
    }
    return out;
  }
  Result<std::optional<Meta>> getMeta(const std::string& name) override {
    std::lock_guard lock(mu_);
    auto it = meta.find(name);
    return it == meta.end() ? std::optional<Meta>() : std::optional<Meta>(it->second);
  }
  Result<Meta> putMeta(const Meta& m, SystemTime now) override {
    std::lock_guard lock(mu_);
    Meta stored = m;
    stored.updated_at = now;
    meta[m.name] = stored;
    audit.push_back("service.update service:" + m.name);
    return stored;
  }
  Result<std::vector<Row>> checks(const std::string& agent) override {
    std::lock_guard lock(mu_);
    std::vector<Row> out;
    for (const auto& [key, row] : rows) {
      if (key.first == agent) {
        out.push_back(row);
      }
    }
    return out;
  }
  Result<std::vector<std::string>> agentsWithChecks() override {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [key, row] : rows) {
      if (out.empty() || out.back() != key.first) {
        out.push_back(key.first);
      }
    }
    return out;
  }
  Result<Row> putCheck(const Row& r, bool create_only, SystemTime now) override {
    std::lock_guard lock(mu_);
    auto it = rows.find({r.agent_id, r.name});
    const bool live = it != rows.end() && it->second.state != "deleting";
    if (create_only && live) {
      return Error{"conflict", "exists", {}};
    }
    Row stored = r;
    stored.state = "pending";
    stored.error.clear();
    stored.generation = it == rows.end() ? 1 : it->second.generation + 1;
    stored.created_at = it == rows.end() ? now : it->second.created_at;
    stored.updated_at = now;
    stored.applied_at.reset();
    rows[{r.agent_id, r.name}] = stored;
    audit.push_back(std::string(live ? "check.update" : "check.create") + " " + r.name);
    return stored;
  }
  Result<bool> deleteCheck(const std::string& agent, const std::string& name, const std::string&,
                           SystemTime now) override {
    std::lock_guard lock(mu_);
    auto it = rows.find({agent, name});
    if (it == rows.end() || it->second.state == "deleting") {
      return false;
    }
    it->second.state = "deleting";
    ++it->second.generation;
    it->second.updated_at = now;
    audit.push_back("check.delete " + name);
    return true;
  }
  Status recordApplied(const std::string& agent,
                       const std::vector<hub::registry::AppliedCheck>& results,
                       const std::vector<std::pair<std::string, std::int64_t>>& gone,
                       SystemTime now) override {
    std::lock_guard lock(mu_);
    for (const auto& a : results) {
      auto it = rows.find({agent, a.name});
      if (it != rows.end() && it->second.generation == a.generation &&
          it->second.state != "deleting") {
        it->second.state = a.applied ? "applied" : "error";
        it->second.error = a.error;
        if (a.applied) {
          it->second.applied_at = now;
        }
      }
    }
    for (const auto& [name, generation] : gone) {
      auto it = rows.find({agent, name});
      if (it != rows.end() && it->second.generation == generation &&
          it->second.state == "deleting") {
        rows.erase(it);
      }
    }
    return okStatus();
  }

  std::mutex mu_;
  std::map<std::string, Meta> meta;
  std::map<std::pair<std::string, std::string>, Row> rows;
  std::vector<std::string> audit;
};

}  // namespace vitals::test
