#include "hub/api/request_helpers.hpp"

#include <charconv>

#include "hub/api/router.hpp"

namespace vitals::hub::api {
namespace {

// "+" -> " ", then percentDecode() (hub/api/router.hpp); false on a malformed escape.
bool formDecode(std::string_view in, std::string& out) {
  std::string spaced;
  spaced.reserve(in.size());
  for (char c : in) {
    if (c == '+') {
      spaced += "%20";
    } else {
      spaced += c;
    }
  }
  return percentDecode(spaced, out);
}

std::string lowerAscii(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

}  // namespace

Error badParameterError(const std::string& name, const std::string& why) {
  return Error{code::kBadRequest, "query parameter \"" + name + "\": " + why, name};
}

ApiResponse badParameter(const std::string& name, const std::string& why) {
  return errorFrom(badParameterError(name, why));
}

ApiResponse badRequest(const std::string& message) {
  return errorResponse(400, code::kBadRequest, message);
}

ApiResponse errorFrom(const Error& error) { return errorResponse(400, error.code, error.message); }

Result<int> intParam(const ApiRequest& req, const std::string& name, int default_value,
                     int max_value) {
  const auto* text = req.param(name);
  if (text == nullptr) {
    return default_value;
  }
  int n = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (text->empty() || ec != std::errc{} || end != text->data() + text->size() || n < 1 ||
      n > max_value) {
    return badParameterError(name, "expected an integer from 1 to " + std::to_string(max_value) +
                                       ", got \"" + *text + "\"");
  }
  return n;
}

Result<int> limitParam(const ApiRequest& req, int default_limit, int max_limit) {
  return intParam(req, "limit", default_limit, max_limit);
}

Result<std::optional<SystemTime>> timeParam(const ApiRequest& req, const std::string& name) {
  const auto* text = req.param(name);
  if (text == nullptr) {
    return std::optional<SystemTime>{};
  }
  SystemTime t{};
  if (!parseRfc3339(*text, t)) {
    return badParameterError(name, "expected an RFC 3339 time such as 2026-01-02T03:04:05Z");
  }
  return std::optional<SystemTime>{t};
}

Result<std::int64_t> idParam(const ApiRequest& req, const std::string& name) {
  const auto it = req.path_params.find(name);
  const std::string text = it == req.path_params.end() ? std::string() : it->second;
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || text.size() > 18 || ec != std::errc{} || end != text.data() + text.size() ||
      id <= 0 || text[0] == '+' || text[0] == '-') {
    return Error{code::kBadRequest, name + ": must be a positive integer, got \"" + text + "\"",
                 name};
  }
  return id;
}

Result<nlohmann::json> jsonObjectBody(const ApiRequest& req) {
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded()) {
    return Error{code::kBadRequest, "the body is not valid JSON", {}};
  }
  if (!body.is_object()) {
    return Error{code::kBadRequest, "the body must be a JSON object", {}};
  }
  return body;
}

Result<QueryParams> parseQueryString(std::string_view raw) {
  QueryParams out;
  std::size_t start = 0;
  while (start <= raw.size()) {
    const auto amp = raw.find('&', start);
    const auto part = raw.substr(start, amp == std::string_view::npos ? raw.npos : amp - start);
    if (!part.empty()) {
      const auto eq = part.find('=');
      std::string key;
      std::string value;
      if (!formDecode(part.substr(0, eq), key) ||
          (eq != std::string_view::npos && !formDecode(part.substr(eq + 1), value))) {
        return Error{code::kBadRequest, "malformed percent-encoding in the query string", {}};
      }
      out.emplace_back(std::move(key), std::move(value));
    }
    if (amp == std::string_view::npos) {
      break;
    }
    start = amp + 1;
  }
  return out;
}

std::optional<ApiResponse> checkContentType(
    const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers) {
  if (body.empty()) {
    return std::nullopt;
  }
  for (const auto& [name, value] : headers) {
    if (lowerAscii(name) != "content-type") {
      continue;
    }
    std::string media = lowerAscii(value.substr(0, value.find(';')));
    while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) {
      media.pop_back();
    }
    if (media != "application/json") {
      return errorResponse(415, code::kUnsupportedMediaType,
                           "Content-Type must be application/json, got \"" + value + "\"");
    }
    return std::nullopt;
  }
  return std::nullopt;
}

ApiResponse httpLayerError(int status, std::size_t max_body_bytes, std::size_t max_url_bytes) {
  switch (status) {
    case 400:
      return errorResponse(400, code::kBadRequest,
                           "malformed HTTP request: the request line, a header or the chunked "
                           "body could not be read");
    case 413:
      return errorResponse(413, code::kPayloadTooLarge,
                           "the request body is larger than api.max_body_bytes (" +
                               std::to_string(max_body_bytes) + " bytes)");
    case 414:
      return errorResponse(
          414, code::kUriTooLong,
          "the request URL is longer than " + std::to_string(max_url_bytes) + " bytes");
    case 404:
      return errorResponse(404, code::kNotFound, "no such path");
    case 416:
      return errorResponse(416, code::kBadRequest, "the Range header is not supported");
    case 500:
      return errorResponse(500, code::kInternal, "internal error");
    default:
      return errorResponse(
          status, status >= 500 ? code::kInternal : code::kBadRequest,
          "the HTTP layer refused the request with status " + std::to_string(status));
  }
}

std::vector<std::string> splitList(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    out.emplace_back(text.substr(start, comma == text.npos ? text.npos : comma - start));
    if (comma == text.npos) {
      return out;
    }
    start = comma + 1;
  }
}

}  // namespace vitals::hub::api
