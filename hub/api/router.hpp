#pragma once
// Matching of method + path to a handler, query-parameter validation, and the JSON errors for
// everything that does not match (404 unknown path, 405 known path with another method + Allow,
// 400 unknown or repeated query parameter). Handlers never let an exception out: the router
// turns one into a 500.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "hub/api/api_types.hpp"

namespace vitals::hub::api {

using Handler = std::function<ApiResponse(const ApiRequest&)>;

struct Route {
  std::string method;                     // "GET"
  std::string pattern;                    // "/api/v1/services/{name}/history"
  std::vector<std::string> query_params;  // the only query parameters accepted
  Handler handler;
};

class Router {
 public:
  void add(Route route) { routes_.push_back(std::move(route)); }
  const std::vector<Route>& routes() const { return routes_; }

  // raw_path is the request target's path, still percent-encoded (so an encoded '/' stays
  // inside its segment); query is already decoded.
  ApiResponse dispatch(const std::string& method, const std::string& raw_path,
                       const std::vector<std::pair<std::string, std::string>>& query,
                       std::string body = {}) const;

 private:
  std::vector<Route> routes_;
};

// "%41b" -> "Ab"; false on a malformed escape.
bool percentDecode(std::string_view in, std::string& out);

}  // namespace vitals::hub::api
