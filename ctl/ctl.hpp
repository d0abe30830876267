#pragma once
// vitalsctl's commands over an injected HubApi, so they are tested without a hub.
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"
#include "ctl/ctl_args.hpp"

namespace vitals::ctl {

class HubApi {
 public:
  virtual ~HubApi() = default;
  // GET a path (with query) below the hub URL; the JSON body of a 2xx answer. Errors:
  // "hub.unreachable" (no answer) and "hub.error" (4xx/5xx; message = the hub's error message).
  virtual Result<nlohmann::json> get(const std::string& path_and_query) = 0;
  // POST/PUT/PATCH/DELETE with an optional JSON body; same errors as get().
  virtual Result<nlohmann::json> send(const std::string& method, const std::string& path,
                                      const std::optional<nlohmann::json>& body) {
    (void)body;
    return Error{"hub.error", method + " " + path + " is not supported by this client", {}};
  }
};

// Percent-encodes everything but unreserved characters (RFC 3986).
std::string urlEncode(std::string_view text);

// Runs args.command; returns the exit code (0 ok, 1 error).
int runCtl(const CtlArgs& args, HubApi& api, const Clock& clock, std::ostream& out,
           std::ostream& err);

}  // namespace vitals::ctl
