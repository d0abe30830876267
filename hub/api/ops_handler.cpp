#include "hub/api/ops_handler.hpp"

namespace vitals::hub::api {

using nlohmann::json;

ApiResponse OpsHandler::healthz(const ApiRequest&) const {
  return jsonResponse({{"status", "ok"}});
}

ApiResponse OpsHandler::readyz(const ApiRequest&) const {
  json checks = json::object();
  std::string failing;
  for (const auto& c : checks_) {
    Status s = Error{"internal", "probe threw", {}};
    try {
      s = c.probe();
    } catch (const std::exception& e) {
      s = Error{"internal", e.what(), {}};
    }
    if (s.ok()) {
      checks[c.name] = "ok";
    } else {
      checks[c.name] = s.error().message;
      failing += (failing.empty() ? "" : "; ") + c.name + ": " + s.error().message;
    }
  }
  if (failing.empty()) {
    return jsonResponse({{"ready", true}, {"checks", std::move(checks)}});
  }
  return jsonResponse({{"ready", false},
                       {"checks", std::move(checks)},
                       {"error", {{"code", "not_ready"}, {"message", failing}}}},
                      503);
}

ApiResponse OpsHandler::metrics(const ApiRequest&) const {
  ApiResponse r;
  r.text = registry_.render();
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return r;
}

ApiResponse OpsHandler::dashboard(const ApiRequest&) const {
  ApiResponse r;
  r.text = std::string(dashboardPage());
  r.content_type = "text/html; charset=utf-8";
  return r;
}

}  // namespace vitals::hub::api
