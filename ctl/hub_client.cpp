#include "ctl/hub_client.hpp"

#include <httplib.h>

namespace vitals::ctl {

HttpHubApi::HttpHubApi(std::string base_url, std::string api_key, std::chrono::seconds timeout)
    : base_url_(std::move(base_url)), api_key_(std::move(api_key)), timeout_(timeout) {}

Result<nlohmann::json> HttpHubApi::get(const std::string& path_and_query) {
  return request("GET", path_and_query, std::nullopt);
}

Result<nlohmann::json> HttpHubApi::send(const std::string& method, const std::string& path,
                                        const std::optional<nlohmann::json>& body) {
  return request(method, path, body);
}

Result<nlohmann::json> HttpHubApi::request(const std::string& method, const std::string& path,
                                           const std::optional<nlohmann::json>& body) {
  // httplib's client takes scheme://host:port; a path prefix goes in front of each request.
  const auto scheme_end = base_url_.find("://");
  const auto path_start = base_url_.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  const std::string origin = base_url_.substr(0, path_start);
  const std::string prefix = path_start == std::string::npos ? "" : base_url_.substr(path_start);

  httplib::Client client(origin);
  client.set_connection_timeout(timeout_);
  client.set_read_timeout(timeout_);
  httplib::Headers headers;
  if (!api_key_.empty()) {
    headers.emplace("Authorization", "Bearer " + api_key_);
  }
  const std::string target = prefix + path;
  const std::string payload = body ? body->dump() : std::string();
  httplib::Result res = [&] {
    if (method == "POST") {
      return client.Post(target.c_str(), headers, payload, "application/json");
    }
    if (method == "PUT") {
      return client.Put(target.c_str(), headers, payload, "application/json");
    }
    if (method == "PATCH") {
      return client.Patch(target.c_str(), headers, payload, "application/json");
    }
    if (method == "DELETE") {
      return body ? client.Delete(target.c_str(), headers, payload, "application/json")
                  : client.Delete(target.c_str(), headers);
    }
    return client.Get(target.c_str(), headers);
  }();
  if (!res) {
    return Error{"hub.unreachable",
                 "cannot reach the hub at " + base_url_ + " (" + httplib::to_string(res.error()) +
                     " error)",
                 {}};
  }
  auto parsed = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status >= 400) {
    std::string message = "the hub answered HTTP " + std::to_string(res->status);
    if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
      message += ": " + parsed["error"].value("message", std::string());
    }
    if (res->status == 401 && api_key_.empty()) {
      message += " (set VITALS_API_KEY or api_key_file in the --config file)";
    }
    return Error{"hub.error", message, {}};
  }
  if (parsed.is_discarded()) {
    return Error{"hub.error", "the hub answered with something that is not JSON", {}};
  }
  return parsed;
}

}  // namespace vitals::ctl
