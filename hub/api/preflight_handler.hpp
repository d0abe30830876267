#pragma once
// /api/v1/preflight (the checklist and the ready flag), /api/v1/preflight/run (run it now) and
// /api/v1/preflight/overrides (admin overrides of failed checks). Blocking calls on HTTP
// threads: a run takes as long as its slowest check.
#include "common/time/clock.hpp"
#include "hub/api/api_types.hpp"
#include "hub/preflight/override_store.hpp"
#include "hub/preflight/preflight_runner.hpp"

namespace vitals::hub::api {

// Longest override allowed: an override is a stop-gap, not a configuration.
inline constexpr std::chrono::hours kMaxOverride{24 * 30};

class PreflightHandler {
 public:
  PreflightHandler(preflight::PreflightRunner& runner, preflight::OverrideStore& overrides,
                   const Clock& clock)
      : runner_(runner), overrides_(overrides), clock_(clock) {}
  ApiResponse get(const ApiRequest& req) const;
  ApiResponse run(const ApiRequest& req) const;
  ApiResponse listOverrides(const ApiRequest& req) const;
  // Body: {"check": name, "reason": text, "expires_at": RFC 3339 | "expires_in": "4h"}. Admin.
  ApiResponse createOverride(const ApiRequest& req) const;
  ApiResponse deleteOverride(const ApiRequest& req) const;

 private:
  preflight::PreflightRunner& runner_;
  preflight::OverrideStore& overrides_;
  const Clock& clock_;
};

nlohmann::json toJson(const preflight::PreflightReport& report);
nlohmann::json toJson(const preflight::Override& o);

}  // namespace vitals::hub::api
