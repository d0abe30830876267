#pragma once
// Our own request/response values: handlers take and return these, so they are tested without
// sockets. Only api/http_server.cpp knows cpp-httplib.
#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/text/ascii.hpp"
#include "hub/api/body_stream.hpp"

namespace vitals::hub::api {

// Set on requests that arrive through the WebSocket listener (ws_server.cpp); the HTTP server
// drops it from clients' requests.
inline constexpr const char* kWebsocketTransportHeader = "X-Vitals-Websocket";

struct ApiRequest {
  std::string method;                                      // "GET"
  std::string path;                                        // decoded segments joined, for logs
  std::map<std::string, std::string> path_params;          // {name} -> value (percent-decoded)
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::string body;
  // Who is calling: "key:<key id>" once authenticated, "anonymous" otherwise. Mutating handlers
  // put it in the audit row (hub/audit/audit_log.hpp).
  std::string actor = "anonymous";
  // The caller's role ("admin", "operator", "readonly"); empty when not authenticated.
  std::string role;
  // Request headers a handler reads itself (e.g. X-Vitals-Signature for signed events); names as
  // sent, looked up case-insensitively by header().
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header of that name (ASCII case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (text::equalsAsciiNoCase(k, name)) {
        return &v;
      }
    }
    return nullptr;
  }

  // The single value of a query parameter (the router refuses repeated ones).
  const std::string* param(const std::string& name) const {
    for (const auto& [k, v] : query) {
      if (k == name) {
        return &v;
      }
    }
    return nullptr;
  }
};

struct ApiResponse {
  int status = 200;
  nlohmann::json body = nlohmann::json::object();
  // When set, sent as is instead of the JSON body (e.g. /metrics).
  std::optional<std::string> text;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is streamed from it (chunked) instead of body/text.
  std::shared_ptr<BodyStream> stream;
  // Set only by GET /api/v1/ws through the WebSocket listener: the messages to send.
  std::shared_ptr<MessageStream> messages;
};

inline ApiResponse jsonResponse(nlohmann::json body, int status = 200) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// {"error":{"code":"...","message":"..."}}
inline ApiResponse errorResponse(int status, std::string code, std::string message) {
  ApiResponse r;
  r.status = status;
  r.body = {{"error", {{"code", std::move(code)}, {"message", std::move(message)}}}};
  return r;
}

}  // namespace vitals::hub::api
