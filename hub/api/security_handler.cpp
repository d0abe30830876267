#include "hub/api/security_handler.hpp"

#include <nlohmann/json.hpp>

#include <charconv>

#include "hub/api/cursor.hpp"
#include "hub/api/request_helpers.hpp"
#include "hub/api/services_handler.hpp"
#include "hub/store/pg_security_store.hpp"

namespace vitals::hub::api {
namespace {

using nlohmann::json;
using std::chrono::seconds;

json scanJson(const store::ScanRecord& s) {
  json counts = json::object();
  for (Severity v :
       {Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Unknown}) {
    counts[std::string(toString(v))] = s.counts[static_cast<std::size_t>(v)];
  }
  return {{"id", s.id},
          {"agent", s.agent_id},
          {"service", s.service},
          {"check", s.check},
          {"target", s.target},
          {"scanner", s.scanner},
          {"status", s.status},
          {"message", s.message},
          {"scanned_at", formatRfc3339(s.observed_at)},
          {"received_at", formatRfc3339(s.received_at)},
          {"counts", counts},
          {"truncated", s.truncated},
          {"new", s.new_count},
          {"fixed", s.fixed_count}};
}

json findingJson(const store::StoredFinding& f, bool with_scan) {
  const auto& x = f.record.finding;
  json out = {{"vulnerability_id", x.vulnerability_id},
              {"package", x.package},
              {"installed_version", x.installed_version},
              {"fixed_version", x.fixed_version},
              {"severity", std::string(toString(x.severity))},
              {"title", x.title},
              {"target", x.target},
              {"status", std::string(store::toString(f.record.status))},
              {"first_seen", formatRfc3339(f.record.first_seen)},
              {"last_seen", formatRfc3339(f.record.last_seen)}};
  if (with_scan) {
    out["scan_id"] = f.scan_id;
    out["agent"] = f.agent_id;
    out["service"] = f.service;
    out["check"] = f.check;
  }
  return out;
}

std::optional<std::int64_t> positive(std::string_view text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || v <= 0) {
    return std::nullopt;
  }
  return v;
}

std::string encodeFindingCursor(const store::FindingCursor& c) {
  const json j = {c.severity_rank, c.scan_id, c.vulnerability_id,
                  c.package,       c.target,  c.installed_version};
  return base64UrlEncode("f:" + j.dump(-1, ' ', false, json::error_handler_t::replace));
}

std::optional<store::FindingCursor> decodeFindingCursor(const std::string& text) {
  auto raw = base64UrlDecode(text);
  if (!raw || raw->rfind("f:", 0) != 0) {
    return std::nullopt;
  }
  const json j = json::parse(raw->substr(2), nullptr, false);
  if (!j.is_array() || j.size() != 6 || !j[0].is_number_integer() || !j[1].is_number_integer()) {
    return std::nullopt;
  }
  for (std::size_t i = 2; i < 6; ++i) {
    if (!j[i].is_string()) {
      return std::nullopt;
    }
  }
  store::FindingCursor c;
  c.severity_rank = j[0].get<int>();
  c.scan_id = j[1].get<std::int64_t>();
  c.vulnerability_id = j[2].get<std::string>();
  c.package = j[3].get<std::string>();
  c.target = j[4].get<std::string>();
  c.installed_version = j[5].get<std::string>();
  if (c.severity_rank < 0 || c.severity_rank > 4 || c.scan_id <= 0) {
    return std::nullopt;
  }
  return c;
}

}  // namespace

ApiResponse SecurityHandler::listScans(const ApiRequest& req) const {
  store::ScanFilter f;
  auto limit = limitParam(req, kDefaultScanLimit, kMaxScanLimit);
  if (!limit.ok()) {
    return errorFrom(limit.error());
  }
  f.limit = *limit + 1;
  if (const auto* v = req.param("service")) {
    f.service = *v;
  }
  if (const auto* v = req.param("cursor")) {
    auto raw = base64UrlDecode(*v);
    auto id =
        raw && raw->rfind("s:", 0) == 0 ? positive(std::string_view(*raw).substr(2)) : std::nullopt;
    if (!id) {
      return badParameter("cursor", "not a cursor this server issued");
    }
    f.before_id = *id;
  }
  auto lease = pool_.acquire(seconds{5});
  if (!lease.ok()) {
    return storeError(lease.error());
  }
  auto rows = store::listScans(lease->conn(), f);
  if (!rows.ok()) {
    return storeError(rows.error());
  }
  json next = nullptr;
  if (static_cast<int>(rows->size()) > *limit) {
    rows->pop_back();
    next = base64UrlEncode("s:" + std::to_string(rows->back().id));
  }
  json out = json::array();
  for (const auto& s : *rows) {
    out.push_back(scanJson(s));
  }
  return jsonResponse({{"scans", std::move(out)}, {"next_cursor", next}});
}

ApiResponse SecurityHandler::getScan(const ApiRequest& req) const {
  auto id = idParam(req);
  if (!id.ok()) {
    return errorResponse(404, "not_found", "no such scan");
  }
  auto lease = pool_.acquire(seconds{5});
  if (!lease.ok()) {
    return storeError(lease.error());
  }
  auto scan = store::getScan(lease->conn(), *id);
  if (!scan.ok()) {
    return storeError(scan.error());
  }
  if (!scan->has_value()) {
    return errorResponse(404, "not_found", "no scan " + std::to_string(*id));
  }
  auto findings = store::scanFindings(lease->conn(), *id);
  if (!findings.ok()) {
    return storeError(findings.error());
  }
  json out = scanJson(**scan);
  json list = json::array();
  for (const auto& f : *findings) {
    list.push_back(findingJson(f, false));
  }
  out["findings"] = std::move(list);
  return jsonResponse(std::move(out));
}

ApiResponse SecurityHandler::listFindings(const ApiRequest& req) const {
  store::FindingFilter f;
  auto limit = limitParam(req, kDefaultFindingLimit, kMaxFindingLimit);
  if (!limit.ok()) {
    return errorFrom(limit.error());
  }
  f.limit = *limit + 1;
  if (const auto* v = req.param("service")) {
    f.service = *v;
  }
  if (const auto* v = req.param("severity")) {
    auto s = parseSeverity(*v);
    if (!s || *v != toString(*s)) {
      return badParameter("severity",
                          "expected critical, high, medium, low or unknown, got \"" + *v + "\"");
    }
    f.severity = *v;
  }
  if (const auto* v = req.param("status")) {
    if (*v != "new" && *v != "open" && *v != "fixed") {
      return badParameter("status", "expected new, open or fixed, got \"" + *v + "\"");
    }
    f.status = *v;
  }
  if (const auto* v = req.param("cursor")) {
    f.after = decodeFindingCursor(*v);
    if (!f.after) {
      return badParameter("cursor", "not a cursor this server issued");
    }
  }
  auto lease = pool_.acquire(seconds{5});
  if (!lease.ok()) {
    return storeError(lease.error());
  }
  auto rows = store::currentFindings(lease->conn(), f);
  if (!rows.ok()) {
    return storeError(rows.error());
  }
  json next = nullptr;
  if (static_cast<int>(rows->size()) > *limit) {
    rows->pop_back();
    next = encodeFindingCursor(store::cursorOf(rows->back()));
  }
  json out = json::array();
  for (const auto& x : *rows) {
    out.push_back(findingJson(x, true));
  }
  return jsonResponse({{"findings", std::move(out)}, {"next_cursor", next}});
}

}  // namespace vitals::hub::api
