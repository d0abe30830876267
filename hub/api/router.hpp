#pragma once
// Matching of method + path to a handler, query-parameter validation, and the JSON errors for
// everything that does not match (404 unknown path, 405 known path with another method + Allow,
// 415 a body that is not JSON, 400 unknown or repeated query parameter). Handlers never let an
// exception out: the router turns one into a 500.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hub/api/api_types.hpp"

namespace vitals::hub::api {

using Handler = std::function<ApiResponse(const ApiRequest&)>;

// Who may call a route (enforced by AccessControl, hub/api/access_control.hpp, before dispatch).
// Roles are ordered: Admin may do what Operator may, Operator what Readonly may.
enum class Access {
  Public,    // anyone, no key (/healthz, /readyz, the dashboard page)
  Metrics,   // public when api.metrics_public is true (the default), else Readonly
  Readonly,  // any valid key
  Operator,  // operator or admin keys
  Admin,     // admin keys only (keys, overrides)
  // Operator with a key; without an Authorization header the request reaches the handler as
  // "anonymous", which must authenticate it itself (POST /api/v1/events: HMAC signature).
  Signed,
  // Readonly with a key; without an Authorization header the request reaches the handler as
  // "anonymous", which must authenticate it itself (GET /api/v1/stream: a stream ticket).
  Ticket,
  // No key at all: the handler authenticates a one-time token in the body (POST /api/v1/enroll).
  // An Authorization header is ignored; a 401 from the handler counts as a failed
  // authentication of the address, like a bad key.
  Token,
};

struct Route {
  std::string method;                     // "GET"
  std::string pattern;                    // "/api/v1/services/{name}/history"
  std::vector<std::string> query_params;  // the only query parameters accepted
  Handler handler;
  // Unset: derived from the method (GET/HEAD -> Readonly, anything else -> Operator).
  std::optional<Access> access = std::nullopt;
};

// The route's explicit access, or the default for its method.
Access requiredAccess(const Route& route);
std::string_view toString(Access access);

// What a method + path resolves to, without running anything.
struct RouteMatch {
  enum class Kind { Found, NotFound, MethodNotAllowed, BadPath };
  Kind kind = Kind::NotFound;
  const Route* route = nullptr;                   // when Found
  std::map<std::string, std::string> params;      // decoded path parameters, when Found
  std::vector<std::string> allowed;               // methods of the path, when MethodNotAllowed
};

// The authenticated caller, passed on to the handler in ApiRequest.
struct Caller {
  std::string actor = "anonymous";
  std::string role;
};

class Router {
 public:
  void add(Route route) { routes_.push_back(std::move(route)); }
  const std::vector<Route>& routes() const { return routes_; }

  // raw_path is the request target's path, still percent-encoded (so an encoded '/' stays
  // inside its segment); query is already decoded. headers reach the handler in
  // ApiRequest::headers (http_server leaves Authorization out).
  ApiResponse dispatch(const std::string& method, const std::string& raw_path,
                       const std::vector<std::pair<std::string, std::string>>& query,
                       std::string body = {}, const Caller& caller = {},
                       std::vector<std::pair<std::string, std::string>> headers = {}) const;
  RouteMatch match(const std::string& method, const std::string& raw_path) const;

 private:
  std::vector<Route> routes_;
};

// "%41b" -> "Ab"; false on a malformed escape.
bool percentDecode(std::string_view in, std::string& out);

}  // namespace vitals::hub::api
