#pragma once
// Admin overrides of failed pre-flight checks: stored (PostgreSQL, so every hub replica sees
// them) and audited in the same transaction. PgOverrideStore is the real one; tests use a fake.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"

namespace vitals::hub::preflight {

struct Override {
  std::int64_t id = 0;
  std::string check;  // a configured check's name
  std::string reason;
  std::string created_by;  // the audit actor ("key:3")
  SystemTime created_at{};
  SystemTime expires_at{};
};

struct NewOverride {
  std::string check;
  std::string reason;
  SystemTime expires_at{};
  std::string actor;
};

// Thread-safe: called from HTTP threads and the preflight thread.
class OverrideStore {
 public:
  virtual ~OverrideStore() = default;
  // Stores it and appends the audit row ("preflight.override.create") in one transaction.
  [[nodiscard]] virtual Result<Override> create(const NewOverride& o, SystemTime now) = 0;
  // Overrides not revoked and not expired at `now`, oldest first.
  [[nodiscard]] virtual Result<std::vector<Override>> active(SystemTime now) = 0;
  // Revokes one (kept for the record) with its audit row ("preflight.override.delete"); false
  // when there is no such active override.
  [[nodiscard]] virtual Result<bool> revoke(std::int64_t id, const std::string& actor,
                                            SystemTime now) = 0;
  // One audit row for an on-demand run ("preflight.run"), outcome "ready"/"not-ready".
  [[nodiscard]] virtual Status auditRun(const std::string& actor, bool ready, SystemTime now) = 0;
};

}  // namespace vitals::hub::preflight
