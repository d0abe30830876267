#include "hub/ctl/hub_client.hpp"

#include <httplib.h>

namespace vitals::ctl {

HttpHubApi::HttpHubApi(std::string base_url, std::chrono::seconds timeout)
    : base_url_(std::move(base_url)), timeout_(timeout) {}

Result<nlohmann::json> HttpHubApi::get(const std::string& path_and_query) {
  // httplib's client takes scheme://host:port; a path prefix goes in front of each request.
  const auto scheme_end = base_url_.find("://");
  const auto path_start = base_url_.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  const std::string origin = base_url_.substr(0, path_start);
  const std::string prefix = path_start == std::string::npos ? "" : base_url_.substr(path_start);

  httplib::Client client(origin);
  client.set_connection_timeout(timeout_);
  client.set_read_timeout(timeout_);
  auto res = client.Get(prefix + path_and_query);
  if (!res) {
    return Error{"hub.unreachable",
                 "cannot reach the hub at " + base_url_ + " (" + httplib::to_string(res.error()) +
                     " error)",
                 {}};
  }
  auto body = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status >= 400) {
    std::string message = "the hub answered HTTP " + std::to_string(res->status);
    if (body.is_object() && body.contains("error") && body["error"].is_object()) {
      message += ": " + body["error"].value("message", std::string());
    }
    return Error{"hub.error", message, {}};
  }
  if (body.is_discarded()) {
    return Error{"hub.error", "the hub answered with something that is not JSON", {}};
  }
  return body;
}

}  // namespace vitals::ctl
