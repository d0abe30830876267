#include "hub/api/audit_handler.hpp"

#include "common/time/clock.hpp"
#include "hub/api/cursor.hpp"
#include "hub/api/request_helpers.hpp"
#include "hub/api/services_handler.hpp"
#include "hub/audit/audit_query.hpp"

namespace vitals::hub::api {
namespace {

using nlohmann::json;

std::string encodeAuditCursor(std::int64_t at_us, std::int64_t id) {
  return base64UrlEncode(json::array({1, at_us, id}).dump());
}

std::optional<std::pair<std::int64_t, std::int64_t>> decodeAuditCursor(const std::string& text) {
  auto raw = base64UrlDecode(text);
  if (!raw) {
    return std::nullopt;
  }
  const json j = json::parse(*raw, nullptr, false);
  if (!j.is_array() || j.size() != 3 || j[0] != 1 || !j[1].is_number_integer() ||
      !j[2].is_number_integer()) {
    return std::nullopt;
  }
  return std::make_pair(j[1].get<std::int64_t>(), j[2].get<std::int64_t>());
}

std::int64_t micros(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

json rowJson(const audit::AuditRow& r) {
  json params = json::parse(r.parameters_json, nullptr, false);
  if (params.is_discarded()) {
    params = json::object();
  }
  return {{"id", r.id},          {"at", formatRfc3339(r.at)}, {"actor", r.actor},
          {"action", r.action},  {"target", r.target},        {"parameters", params},
          {"outcome", r.outcome}};
}

}  // namespace

std::string csvField(const std::string& value) {
  std::string v = value;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) {
    v = "'" + v;
  }
  if (v.find_first_of(",\"\r\n") == std::string::npos) {
    return v;
  }
  std::string out = "\"";
  for (char c : v) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  return out + "\"";
}

ApiResponse AuditHandler::list(const ApiRequest& req) const {
  audit::AuditQuery q;
  std::string format = "json";
  if (const auto* f = req.param("format")) {
    if (*f != "json" && *f != "jsonl" && *f != "csv") {
      return badParameter("format", "expected json, jsonl or csv");
    }
    format = *f;
  }
  const int max = format == "json" ? kMaxAuditLimit : kMaxAuditExportLimit;
  auto limit = limitParam(req, format == "json" ? kDefaultAuditLimit : max, max);
  if (!limit.ok()) {
    return errorFrom(limit.error());
  }
  q.limit = limit.value();
  for (const char* key : {"since", "until"}) {
    auto t = timeParam(req, key);
    if (!t.ok()) {
      return errorFrom(t.error());
    }
    if (t.value()) {
      (std::string(key) == "since" ? q.since : q.until) = *t.value();
    }
  }
  if (const auto* v = req.param("actor")) {
    q.actor = *v;
  }
  if (const auto* v = req.param("action")) {
    q.action = *v;
  }
  if (const auto* v = req.param("target")) {
    q.target = *v;
  }
  if (const auto* v = req.param("cursor")) {
    { q.before = decodeAuditCursor(*v); }
    if (!q.before) {
      return badParameter("cursor", "not a cursor this server issued");
    }
  }
  auto rows = reader_.query(q);
  if (!rows.ok()) {
    return storeError(rows.error());
  }
  std::optional<std::string> next;
  if (static_cast<int>(rows->size()) > q.limit) {
    rows->pop_back();
    next = encodeAuditCursor(micros(rows->back().at), rows->back().id);
  }
  if (format == "json") {
    json entries = json::array();
    for (const auto& r : rows.value()) {
      entries.push_back(rowJson(r));
    }
    return jsonResponse(
        {{"entries", std::move(entries)}, {"next_cursor", next ? json(*next) : json(nullptr)}});
  }
  ApiResponse r;
  std::string text;
  if (format == "jsonl") {
    r.content_type = "application/x-ndjson";
    for (const auto& row : rows.value()) {
      text += rowJson(row).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    }
  } else {
    r.content_type = "text/csv";
    text = "id,at,actor,action,target,parameters,outcome\r\n";
    for (const auto& row : rows.value()) {
      text += std::to_string(row.id) + "," + formatRfc3339(row.at) + "," + csvField(row.actor) +
              "," + csvField(row.action) + "," + csvField(row.target) + "," +
              csvField(row.parameters_json) + "," + csvField(row.outcome) + "\r\n";
    }
  }
  r.text = std::move(text);
  if (next) {
    r.headers.emplace_back("X-Next-Cursor", *next);
  }
  return r;
}

}  // namespace vitals::hub::api
