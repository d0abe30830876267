// docs/openapi.yaml and the route table must describe the same API.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <set>

#include "tests/unit/hub/fakes/all_handlers.hpp"

using namespace vitals;
using namespace vitals::hub;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Query parameters of an operation, following local $refs to components/parameters.
std::set<std::string> queryParams(const YAML::Node& doc, const YAML::Node& op) {
  std::set<std::string> out;
  for (const auto& p : op["parameters"]) {
    YAML::Node param = p;
    if (p["$ref"]) {
      const auto ref = p["$ref"].as<std::string>();
      param = doc["components"]["parameters"][ref.substr(ref.rfind('/') + 1)];
    }
    if (param["in"].as<std::string>() == "query") {
      out.insert(param["name"].as<std::string>());
    }
  }
  return out;
}

}  // namespace

TEST_CASE("docs/openapi.yaml documents exactly the routes the hub serves",
          "[hub][unit][api]") {
  const YAML::Node doc = YAML::LoadFile(VITALS_OPENAPI_FILE);
  // Every handler group, over fakes (tests/unit/hub/fakes/all_handlers.hpp: add new ones there).
  const test::AllHandlers all;
  const auto router = all.router();

  std::set<std::string> served;
  for (const auto& r : router.routes()) {
    const std::string key = lower(r.method) + " " + r.pattern;
    served.insert(key);
    INFO(key);
    const auto op = doc["paths"][r.pattern][lower(r.method)];
    REQUIRE(op);
    CHECK(queryParams(doc, op) == std::set<std::string>(r.query_params.begin(),
                                                        r.query_params.end()));
  }
  std::set<std::string> documented;
  for (const auto& path : doc["paths"]) {
    for (const auto& method : path.second) {
      documented.insert(method.first.as<std::string>() + " " + path.first.as<std::string>());
    }
  }
  CHECK(documented == served);
}
