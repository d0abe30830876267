#pragma once
// What every handler needs to read a request and refuse it: the error vocabulary (the codes of
// docs/openapi.yaml's Error schema, one per status), and parsers for the parameters and bodies
// that recur (limit, positive ids, RFC 3339 times, a JSON object body). Parsers return
// Result<T> whose Error carries the API error code and a message that names the parameter;
// errorFrom() turns it into the 400 response.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"
#include "hub/api/api_types.hpp"

namespace vitals::hub::api {

// The API's error codes, by status. Keep docs/openapi.yaml (components/schemas/Error) in step.
namespace code {
inline constexpr const char* kBadRequest = "bad_request";  // 400: query, path, body, framing
inline constexpr const char* kConfirmRequired = "confirm_required";  // 400: needs confirm:true
inline constexpr const char* kUnauthorized = "unauthorized";         // 401: no, bad or unknown key
inline constexpr const char* kForbidden = "forbidden";               // 403: role too low
inline constexpr const char* kNotFound = "not_found";                // 404
inline constexpr const char* kMethodNotAllowed = "method_not_allowed";          // 405
inline constexpr const char* kConflict = "conflict";                            // 409
inline constexpr const char* kPayloadTooLarge = "payload_too_large";            // 413
inline constexpr const char* kUriTooLong = "uri_too_long";                      // 414
inline constexpr const char* kUnsupportedMediaType = "unsupported_media_type";  // 415
inline constexpr const char* kRateLimited = "rate_limited";                     // 429
inline constexpr const char* kInternal = "internal";                            // 500
inline constexpr const char* kUnavailable = "unavailable";                      // 503
}  // namespace code

// The Error behind badParameter, for parsers that return Result<T>.
Error badParameterError(const std::string& name, const std::string& why);
// 400 bad_request: query parameter "<name>": <why>.
ApiResponse badParameter(const std::string& name, const std::string& why);
// 400 bad_request with the message as given (a body field, a path value).
ApiResponse badRequest(const std::string& message);
// 400 with the Error's code and message (for the parsers below).
ApiResponse errorFrom(const Error& error);

// Query parameter `name` as an integer from 1 to max_value; default_value when absent.
Result<int> intParam(const ApiRequest& req, const std::string& name, int default_value,
                     int max_value);
// ?limit=N: intParam(req, "limit", default_limit, max_limit).
Result<int> limitParam(const ApiRequest& req, int default_limit, int max_limit);
// An RFC 3339 time in query parameter `name`: nullopt when absent.
Result<std::optional<SystemTime>> timeParam(const ApiRequest& req, const std::string& name);
// A positive integer (at most 18 digits) in path parameter `name`.
Result<std::int64_t> idParam(const ApiRequest& req, const std::string& name = "id");
// The body as a JSON object; bad_request when it is not JSON or not an object.
Result<nlohmann::json> jsonObjectBody(const ApiRequest& req);

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// The query string of a request target (after '?', without it), decoded: '+' is a space, %XX a
// byte; parameters in order, "a" alone is ("a", ""). bad_request on a malformed escape. The body
// is never read as parameters, whatever its Content-Type.
Result<QueryParams> parseQueryString(std::string_view raw);

// A request whose body is not JSON: 415 unsupported_media_type when it has a body and a
// Content-Type other than application/json (parameters such as charset allowed). A body without
// Content-Type is read as JSON.
std::optional<ApiResponse> checkContentType(
    const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers);

// The JSON error for a request the HTTP layer refused before any handler ran, saying what was
// wrong: 400 (unreadable request line, headers or chunked body), 413 (body over
// max_body_bytes), 414 (URL over max_url_bytes), anything else by its status.
ApiResponse httpLayerError(int status, std::size_t max_body_bytes, std::size_t max_url_bytes);

// "a,b,,c" -> {"a", "b", "", "c"}: query parameters that take a comma list.
std::vector<std::string> splitList(std::string_view text);

}  // namespace vitals::hub::api
