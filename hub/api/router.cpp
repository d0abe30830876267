#include "hub/api/router.hpp"

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

bool match(const std::string& pattern, const std::vector<std::string>& segments,
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

ApiResponse Router::dispatch(const std::string& method, const std::string& raw_path,
                             const std::vector<std::pair<std::string, std::string>>& query,
                             std::string body) const {
  std::vector<std::string> segments;
  for (auto s : split(raw_path)) {
    std::string decoded;
    if (!percentDecode(s, decoded)) {
      return errorResponse(400, "bad_request", "malformed percent-encoding in the path");
    }
    segments.push_back(std::move(decoded));
  }
  if (segments.empty()) {
    return errorResponse(404, "not_found", "no such path");
  }

  std::set<std::string> allowed;
  const Route* chosen = nullptr;
  std::map<std::string, std::string> params;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> p;
    if (!match(r.pattern, segments, p)) {
      continue;
    }
    allowed.insert(r.method);
    if (r.method == method && chosen == nullptr) {
      chosen = &r;
      params = std::move(p);
    }
  }
  if (allowed.empty()) {
    return errorResponse(404, "not_found", "no such path: " + raw_path);
  }
  if (chosen == nullptr) {
    std::vector<std::string> methods(allowed.begin(), allowed.end());
    auto res = errorResponse(405, "method_not_allowed",
                             method + " is not allowed here; allowed: " + joined(methods));
    res.headers.emplace_back("Allow", joined(methods));
    return res;
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
      return errorResponse(400, "bad_request", "query parameter \"" + key + "\" given twice");
    }
  }

  ApiRequest req;
  req.method = method;
  req.path = raw_path;
  req.path_params = std::move(params);
  req.query = query;
  req.body = std::move(body);
  try {
    return chosen->handler(req);
  } catch (const std::exception& e) {
    return errorResponse(500, "internal", std::string("internal error: ") + e.what());
  } catch (...) {
    return errorResponse(500, "internal", "internal error");
  }
}

}  // namespace vitals::hub::api
