#pragma once
#include <string_view>
// /healthz (the process answers), /readyz (every dependency is usable) and /metrics.
#include <functional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "common/metrics/metrics.hpp"
#include "hub/api/api_types.hpp"

namespace vitals::hub::api {

// One readiness item: "nats", "database", "migrations". The probe runs on an HTTP thread and
// must be quick.
struct ReadinessCheck {
  std::string name;
  std::function<Status()> probe;
};

// web/index.html, embedded at build time (hub/api/embed_text.cmake).
std::string_view dashboardPage();

class OpsHandler {
 public:
  OpsHandler(std::vector<ReadinessCheck> checks, const metrics::Registry& registry)
      : checks_(std::move(checks)), registry_(registry) {}
  ApiResponse healthz(const ApiRequest& req) const;
  // 200 {"ready":true,"checks":{"nats":"ok",...}}; 503 with "ready":false, the failing items'
  // reasons in "checks" and the standard "error" object naming them.
  ApiResponse readyz(const ApiRequest& req) const;
  ApiResponse metrics(const ApiRequest& req) const;
  // The status page (web/index.html, compiled in): a live grid over /api/v1/services.
  ApiResponse dashboard(const ApiRequest& req) const;

 private:
  std::vector<ReadinessCheck> checks_;
  const metrics::Registry& registry_;
};

}  // namespace vitals::hub::api
