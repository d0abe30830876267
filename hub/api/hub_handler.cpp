#include "hub/api/hub_handler.hpp"

#include <set>

namespace vitals::hub::api {

ApiResponse HubHandler::get(const ApiRequest&) const {
  using nlohmann::json;
  const auto mine = held_here_ ? held_here_() : std::vector<std::string>{};
  json body = {{"hub_id", identity_.hub_id},
               {"replica_id", identity_.replica_id},
               {"group", identity_.group},
               {"version", identity_.version},
               {"jobs_held", mine}};
  auto rows = leases_ ? leases_() : Result<std::vector<LeaseRow>>(std::vector<LeaseRow>{});
  if (!rows.ok()) {
    return errorResponse(503, "database_unavailable",
                         "cannot read the job leases: " + rows.error().message);
  }
  json jobs = json::array();
  for (const auto& r : rows.value()) {
    json j = {{"job", r.job}, {"since", formatRfc3339(r.since)}, {"live", r.live}};
    // A holder whose session is gone holds nothing: the job waits for the next taker.
    j["holder"] = r.live ? json(r.holder) : json(nullptr);
    j["last_holder"] = r.holder;
    jobs.push_back(std::move(j));
  }
  body["jobs"] = std::move(jobs);
  return jsonResponse(std::move(body));
}

}  // namespace vitals::hub::api
