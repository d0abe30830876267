#include "hub/api/router.hpp"

#include "hub/api/request_helpers.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace vitals::hub::api {
namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') {
    return out;
  }
  std::size_t start = 1;
  while (true) {
    const auto slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(start));
      break;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool matchPattern(const std::string& pattern, const std::vector<std::string>& segments,
           std::map<std::string, std::string>& params) {
  const auto parts = split(pattern);
  if (parts.size() != segments.size()) {
    return false;
  }
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto p = parts[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      if (segments[i].empty()) {
        return false;
      }
      found[std::string(p.substr(1, p.size() - 2))] = segments[i];
    } else if (p != segments[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    out += (out.empty() ? "" : ", ") + i;
  }
  return out;
}

}  // namespace

bool percentDecode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) {
      return false;
    }
    const int hi = hexValue(in[i + 1]);
    const int lo = hexValue(in[i + 2]);
    if (hi < 0 || lo < 0) {
      return false;
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

Access requiredAccess(const Route& route) {
  if (route.access) {
    return *route.access;
  }
  return route.method == "GET" || route.method == "HEAD" ? Access::Readonly : Access::Operator;
}

std::string_view toString(Access access) {
  switch (access) {
    case Access::Public:
      return "public";
    case Access::Metrics:
      return "metrics";
    case Access::Readonly:
      return "readonly";
    case Access::Operator:
      return "operator";
    case Access::Admin:
      return "admin";
    case Access::Signed:
      return "signed";
    case Access::Ticket:
      return "ticket";
    case Access::Token:
      return "token";
  }
  return "admin";
}

RouteMatch Router::match(const std::string& method, const std::string& raw_path) const {
  RouteMatch out;
  std::vector<std::string> segments;
  for (auto s : split(raw_path)) {
    std::string decoded;
    if (!percentDecode(s, decoded)) {
      out.kind = RouteMatch::Kind::BadPath;
      return out;
    }
    segments.push_back(std::move(decoded));
  }
  if (segments.empty()) {
    return out;
  }
  std::set<std::string> allowed;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> p;
    if (!matchPattern(r.pattern, segments, p)) {
      continue;
    }
    allowed.insert(r.method);
    if (r.method == method && out.route == nullptr) {
      out.route = &r;
      out.params = std::move(p);
    }
  }
  if (out.route != nullptr) {
    out.kind = RouteMatch::Kind::Found;
  } else if (!allowed.empty()) {
    out.kind = RouteMatch::Kind::MethodNotAllowed;
    out.allowed.assign(allowed.begin(), allowed.end());
  }
  return out;
}

ApiResponse Router::dispatch(const std::string& method, const std::string& raw_path,
                             const std::vector<std::pair<std::string, std::string>>& query,
                             std::string body, const Caller& caller,
                             std::vector<std::pair<std::string, std::string>> headers) const {
  auto m = match(method, raw_path);
  switch (m.kind) {
    case RouteMatch::Kind::BadPath:
      return errorResponse(400, code::kBadRequest, "malformed percent-encoding in the path");
    case RouteMatch::Kind::NotFound:
      return errorResponse(404, "not_found",
                           raw_path.empty() ? std::string("no such path")
                                            : "no such path: " + raw_path);
    case RouteMatch::Kind::MethodNotAllowed: {
      auto res = errorResponse(405, "method_not_allowed",
                               method + " is not allowed here; allowed: " + joined(m.allowed));
      res.headers.emplace_back("Allow", joined(m.allowed));
      return res;
    }
    case RouteMatch::Kind::Found:
      break;
  }
  const Route* chosen = m.route;
  auto& params = m.params;
  if (auto refused = checkContentType(body, headers)) {
    return *refused;
  }

  std::set<std::string> seen;
  for (const auto& [key, value] : query) {
    const auto& ok = chosen->query_params;
    if (std::find(ok.begin(), ok.end(), key) == ok.end()) {
      return errorResponse(
          400, "bad_request",
          "unknown query parameter \"" + key + "\"" +
              (ok.empty() ? std::string(" (this endpoint takes none)")
                          : " (allowed: " + joined(ok) + ")"));
    }
    if (!seen.insert(key).second) {
      return errorResponse(400, code::kBadRequest, "query parameter \"" + key + "\" given twice");
    }
  }

  ApiRequest req;
  req.method = method;
  req.path = raw_path;
  req.path_params = std::move(params);
  req.query = query;
  req.body = std::move(body);
  req.actor = caller.actor;
  req.role = caller.role;
  req.headers = std::move(headers);
  try {
    return chosen->handler(req);
  } catch (const std::exception& e) {
    return errorResponse(500, "internal", std::string("internal error: ") + e.what());
  } catch (...) {
    return errorResponse(500, "internal", "internal error");
  }
}

}  // namespace vitals::hub::api
