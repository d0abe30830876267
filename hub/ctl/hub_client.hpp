#pragma once
// HubApi over HTTP (cpp-httplib; its only user in vitalsctl).
#include <chrono>
#include <string>

#include "hub/ctl/ctl.hpp"

namespace vitals::ctl {

class HttpHubApi final : public HubApi {
 public:
  // base_url: http(s)://host[:port][/prefix]
  explicit HttpHubApi(std::string base_url,
                      std::chrono::seconds timeout = std::chrono::seconds{10});
  Result<nlohmann::json> get(const std::string& path_and_query) override;

 private:
  std::string base_url_;
  std::chrono::seconds timeout_;
};

}  // namespace vitals::ctl
