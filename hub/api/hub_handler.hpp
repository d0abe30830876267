#pragma once
// GET /api/v1/hub: which hub and replica answers, and which replica of the site runs which
// once-per-site job (from replica_leases, each row checked against pg_locks).
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"
#include "hub/api/api_types.hpp"

namespace vitals::hub::api {

struct LeaseRow {
  std::string job;
  std::string holder;  // replica id
  SystemTime since{};
  bool live = false;  // the holder's session still holds an advisory lock
};

struct HubIdentity {
  std::string hub_id;
  std::string replica_id;
  std::string group;
  std::string version;
};

class HubHandler {
 public:
  using Leases = std::function<Result<std::vector<LeaseRow>>()>;
  // held_here: the jobs this replica holds now (JobLease::holdings).
  HubHandler(HubIdentity identity, Leases leases,
             std::function<std::vector<std::string>()> held_here)
      : identity_(std::move(identity)),
        leases_(std::move(leases)),
        held_here_(std::move(held_here)) {}
  ApiResponse get(const ApiRequest& req) const;

 private:
  HubIdentity identity_;
  Leases leases_;
  std::function<std::vector<std::string>()> held_here_;
};

}  // namespace vitals::hub::api
