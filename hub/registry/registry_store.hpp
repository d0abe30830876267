#pragma once
// Where the registry's operator-owned fields and the checks managed through the API are kept
// (PostgreSQL: every replica sees the same). The real one is pg_registry_store.hpp; handlers and
// the check sync are tested on a fake.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"
#include "hub/registry/service_registry.hpp"

namespace vitals::hub::registry {

// One check managed through the API, for one agent.
struct ApiCheckRow {
  std::string agent_id;
  std::string name;
  std::string service;
  std::string kind;
  std::string definition;         // JSON object text
  std::string state = "pending";  // pending, applied, error, deleting
  std::string error;
  std::int64_t generation = 1;
  SystemTime created_at{};
  std::string created_by;
  SystemTime updated_at{};
  std::string updated_by;
  std::optional<SystemTime> applied_at;
};

// The agent's answer for one check of a set it was sent.
struct AppliedCheck {
  std::string name;
  std::int64_t generation = 0;  // of the row that was sent
  bool applied = false;
  std::string error;
};

class RegistryStore {
 public:
  virtual ~RegistryStore() = default;

  virtual Result<std::vector<ServiceMeta>> loadMeta() = 0;
  virtual Result<std::optional<ServiceMeta>> getMeta(const std::string& name) = 0;
  // Creates or replaces the service's fields, with its audit row ("service.update") in the same
  // transaction. Returns what is stored.
  virtual Result<ServiceMeta> putMeta(const ServiceMeta& meta, SystemTime now) = 0;

  // Every row of the agent (any state), sorted by name.
  virtual Result<std::vector<ApiCheckRow>> checks(const std::string& agent) = 0;
  // Every agent with at least one row.
  virtual Result<std::vector<std::string>> agentsWithChecks() = 0;
  // Creates (create_only: Error "conflict" when a live row of that name exists) or replaces the
  // row; state pending, generation + 1; audited ("check.create" / "check.update").
  virtual Result<ApiCheckRow> putCheck(const ApiCheckRow& row, bool create_only,
                                       SystemTime now) = 0;
  // Marks the row deleting (generation + 1; audited "check.delete"); false when there is none
  // (or it is being deleted already).
  virtual Result<bool> deleteCheck(const std::string& agent, const std::string& name,
                                   const std::string& actor, SystemTime now) = 0;
  // The agent's answers: rows still at the answered generation become applied or error; rows
  // deleting at the generation the agent saw gone are removed.
  virtual Status recordApplied(const std::string& agent, const std::vector<AppliedCheck>& results,
                               const std::vector<std::pair<std::string, std::int64_t>>& gone,
                               SystemTime now) = 0;
};

}  // namespace vitals::hub::registry
