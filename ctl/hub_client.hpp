#pragma once
// HubApi over HTTP (cpp-httplib; its only user in vitalsctl).
#include <chrono>
#include <string>

#include "ctl/ctl.hpp"

namespace vitals::ctl {

class HttpHubApi final : public HubApi {
 public:
  // base_url: http(s)://host[:port][/prefix]; api_key is sent as "Authorization: Bearer" on
  // every request when not empty.
  explicit HttpHubApi(std::string base_url, std::string api_key = {},
                      std::chrono::seconds timeout = std::chrono::seconds{10});
  Result<nlohmann::json> get(const std::string& path_and_query) override;
  Result<nlohmann::json> send(const std::string& method, const std::string& path,
                              const std::optional<nlohmann::json>& body) override;

 private:
  Result<nlohmann::json> request(const std::string& method, const std::string& path,
                                 const std::optional<nlohmann::json>& body);
  std::string base_url_;
  std::string api_key_;
  std::chrono::seconds timeout_;
};

}  // namespace vitals::ctl
