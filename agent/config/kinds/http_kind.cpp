// kind: http — see docs/configuration-agent.md "kind: http".
#include <algorithm>
#include <set>

#include "agent/config/kinds/kind_readers.hpp"
#include "common/net/target_guard.hpp"

namespace vitals::agent::kinds {
namespace {

const std::set<std::string> kMethods = {"GET", "HEAD", "POST", "PUT"};

// "$.a.b[0]" -> {"a", "b", "[0]"}; returns an error message or "".
std::string parseJsonPath(const std::string& path, std::vector<std::string>& keys) {
  if (path.empty() || path[0] != '$') {
    return "must start with $ (for example $.status)";
  }
  std::size_t i = 1;
  while (i < path.size()) {
    if (path[i] == '.') {
      const std::size_t end = path.find_first_of(".[", i + 1);
      const std::string key = path.substr(i + 1, end == std::string::npos ? end : end - i - 1);
      if (key.empty()) {
        return "empty key at position " + std::to_string(i + 1);
      }
      keys.push_back(key);
      i = end == std::string::npos ? path.size() : end;
    } else if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string::npos) {
        return "unterminated [";
      }
      const std::string index = path.substr(i + 1, close - i - 1);
      if (index.empty() || index.size() > 6 ||
          !std::all_of(index.begin(), index.end(),
                       [](unsigned char ch) { return ch >= '0' && ch <= '9'; })) {
        return "array index must be a number, got [" + index + "]";
      }
      keys.push_back("[" + index + "]");
      i = close + 1;
    } else {
      return "expected . or [ at position " + std::to_string(i + 1);
    }
  }
  return "";
}

}  // namespace

void readHttp(config::YamlReader& c, const LoadOptions& options, CheckConfig& check) {
  HttpCheckSpec http;
  const bool restricted = c.boolean("restrict_targets", false);
  if (restricted) {
    http.restrict_targets = std::make_shared<const net::GuardPolicy>();  // allowlist added later
  }
  if (auto url = c.str("url")) {
    http.url = *url;
    if (auto err = parseHttpUrl(*url, http); !err.empty()) {
      c.problem("url", err);
    } else if (restricted) {
      // The same parser with the guard's stricter rules on top (docs/security.md).
      if (auto guarded = net::parseHttpUrl(*url); !guarded.ok()) {
        c.problem("url", guarded.error().message);
      }
    }
  } else {
    c.problem("url", "is required for kind http");
  }
  if (auto m = c.str("method")) {
    if (kMethods.count(*m) == 0) {
      c.problem("method", "must be GET, HEAD, POST or PUT; got \"" + *m + "\"");
    } else {
      http.method = *m;
    }
  }
  if (auto codes = c.integers("expected_status", 100, 599)) {
    if (codes->empty()) {
      c.problem("expected_status", "must list at least one status (omit it for any 2xx)");
    }
    for (auto code : *codes) {
      http.expected_status.push_back(static_cast<int>(code));
    }
  }
  const bool head = http.method == "HEAD";
  if (auto body = c.str("body_contains")) {
    if (body->empty()) {
      c.problem("body_contains", "must not be empty");
    } else if (head) {
      c.problem("body_contains", "is not valid with method HEAD (no body)");
    } else {
      http.body_contains = *body;
    }
  }
  if (auto re = c.str("body_regex")) {
    if (re->empty()) {
      c.problem("body_regex", "must not be empty");
    } else if (head) {
      c.problem("body_regex", "is not valid with method HEAD (no body)");
    } else if (auto err = regexError(*re); !err.empty()) {
      c.problem("body_regex", err);
    } else {
      http.body_regex = *re;
    }
  }
  auto json_path = c.str("json_path");
  auto json_equals = c.str("json_equals");
  if (json_path && !json_equals) {
    c.problem("json_path", "needs json_equals");
  } else if (json_equals && !json_path) {
    c.problem("json_equals", "needs json_path");
  } else if (json_path && json_equals) {
    JsonCondition cond;
    cond.path = *json_path;
    cond.equals = *json_equals;
    if (auto err = parseJsonPath(*json_path, cond.keys); !err.empty()) {
      c.problem("json_path", err);
    } else if (head) {
      c.problem("json_path", "is not valid with method HEAD (no body)");
    } else {
      http.json = std::move(cond);
    }
  }
  if (auto headers = c.stringMap("headers")) {
    for (auto& [k, v] : *headers) {
      const bool bad_name = k.empty() || std::any_of(k.begin(), k.end(), [](unsigned char ch) {
                              return ch <= ' ' || ch == ':' || ch >= 0x7f;
                            });
      if (bad_name) {
        c.problem("headers", "invalid header name \"" + k + "\"");
        continue;
      }
      if (v.find_first_of("\r\n") != std::string::npos) {
        c.problem("headers", "header " + k + " must be one line");
        continue;
      }
      http.headers.emplace_back(k, v);
    }
  }
  http.follow_redirects = c.boolean("follow_redirects", false);
  if (c.has("max_redirects")) {
    http.max_redirects = static_cast<std::uint32_t>(c.integer("max_redirects", 5, 1, 20));
    if (!http.follow_redirects) {
      c.problem("max_redirects", "needs follow_redirects: true");
    }
  }
  http.tls_verify = c.boolean("tls_verify", true);
  http.ca_file = c.str("ca_file", "");
  if (!http.ca_file.empty()) {
    if (options.readable && !options.readable(http.ca_file)) {
      c.problem("ca_file", "cannot read \"" + http.ca_file + "\"");
    }
  }
  http.cert_warn_days = static_cast<std::uint32_t>(c.integer("cert_warn_days", 14, 0, 3650));
  if (http.scheme == "http") {
    for (const char* key : {"tls_verify", "ca_file", "cert_warn_days"}) {
      if (c.has(key)) {
        c.problem(key, std::string(key) + " needs an https:// url");
      }
    }
  }
  check.spec = std::move(http);
}

}  // namespace vitals::agent::kinds
