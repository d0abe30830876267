#include "ctl/ctl_format.hpp"

#include <cmath>
#include <cstdio>

namespace vitals::ctl {
namespace {

using nlohmann::json;

std::string str(const json& obj, const char* key, const std::string& fallback = "-") {
  if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) {
    return fallback;
  }
  if (obj[key].is_string()) {
    return obj[key].get<std::string>();
  }
  return obj[key].dump();
}

// First line only, at most `max` characters: tables stay one row per item.
std::string oneLine(const std::string& text, std::size_t max = 60) {
  std::string out = text.substr(0, text.find('\n'));
  for (char& c : out) {
    if (c == '\t' || c == '\r') {
      c = ' ';
    }
  }
  if (out.size() > max) {
    out = out.substr(0, max - 3) + "...";
  }
  return out;
}

const json& arrayAt(const json& body, const char* key) {
  static const json kEmpty = json::array();
  if (body.is_object() && body.contains(key) && body[key].is_array()) {
    return body[key];
  }
  return kEmpty;
}

}  // namespace

std::string formatLatency(const json& latency_ms) {
  if (!latency_ms.is_number()) {
    return "-";
  }
  const double ms = latency_ms.get<double>();
  char buf[32];
  if (ms < 1.0) {
    std::snprintf(buf, sizeof buf, "%.0fus", ms * 1000.0);
  } else if (ms < 1000.0) {
    std::snprintf(buf, sizeof buf, "%.1fms", ms);
  } else {
    std::snprintf(buf, sizeof buf, "%.2fs", ms / 1000.0);
  }
  return buf;
}

std::string formatAge(const json& age_seconds) {
  if (!age_seconds.is_number()) {
    return "-";
  }
  const auto s = static_cast<long long>(std::floor(age_seconds.get<double>()));
  if (s < 120) {
    return std::to_string(std::max(0LL, s)) + "s";
  }
  if (s < 120 * 60) {
    return std::to_string(s / 60) + "m";
  }
  if (s < 48 * 3600) {
    return std::to_string(s / 3600) + "h";
  }
  return std::to_string(s / 86400) + "d";
}

std::string renderTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) {
        widths.push_back(0);
      }
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line += std::string(widths[i] - row[i].size() + 2, ' ');
      }
    }
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    out += line + "\n";
  }
  return out;
}

std::string formatStatus(const json& body) {
  std::vector<std::vector<std::string>> rows{{"SERVICE", "STATUS", "LATENCY", "AGE"}};
  for (const auto& s : arrayAt(body, "services")) {
    rows.push_back({str(s, "name"), str(s, "status"), formatLatency(s.value("latency_ms", json())),
                    formatAge(s.value("age_seconds", json()))});
    for (const auto& c : arrayAt(s, "checks")) {
      rows.push_back({"  " + str(c, "name"), str(c, "status"),
                      formatLatency(c.value("latency_ms", json())),
                      formatAge(c.value("age_seconds", json())), str(c, "agent"),
                      oneLine(str(c, "message", ""))});
    }
  }
  if (rows.size() == 1) {
    return "no services yet\n";
  }
  return renderTable(rows);
}

std::string formatHistory(const json& results, bool with_service) {
  std::vector<std::vector<std::string>> rows{
      {"TIME", "CHECK", "AGENT", "STATUS", "LATENCY", "MESSAGE"}};
  if (with_service) {
    rows[0].insert(rows[0].begin() + 1, "SERVICE");
  }
  if (results.is_array()) {
    for (const auto& r : results) {
      rows.push_back({str(r, "observed_at"), str(r, "check"), str(r, "agent"), str(r, "status"),
                      formatLatency(r.value("latency_ms", json())),
                      oneLine(str(r, "message", ""))});
      if (with_service) {
        rows.back().insert(rows.back().begin() + 1, str(r, "service"));
      }
    }
  }
  if (rows.size() == 1) {
    return "no results\n";
  }
  return renderTable(rows);
}

std::string formatAgent(const json& a) {
  const bool stopped = a.contains("deregistered_at") && !a["deregistered_at"].is_null();
  std::string out = "agent " + str(a, "id") + " on " + str(a, "hostname") + ", version " +
                    str(a, "version") + ", " + (stopped ? "stopped" : "running") + ", last seen " +
                    formatAge(a.value("age_seconds", json())) + " ago\n";
  std::vector<std::vector<std::string>> actions{
      {"ACTION", "PARAMETERS", "TIMEOUT", "COOLDOWN", "MAX"}};
  auto seconds = [](const json& ms) {
    return ms.is_number() ? std::to_string(ms.get<long long>() / 1000) + "s" : std::string("-");
  };
  for (const auto& action : arrayAt(a, "actions")) {
    std::string params;
    if (action.contains("params") && action["params"].is_array()) {
      for (const auto& p : action["params"]) {
        params += (params.empty() ? "" : " ") + str(p, "name") + "=/" + str(p, "pattern") + "/";
      }
    } else {
      params = "?";  // the agent sent names only
    }
    actions.push_back({str(action, "name"), params.empty() ? "-" : params,
                       seconds(action.value("timeout_ms", json())),
                       seconds(action.value("cooldown_ms", json())),
                       str(action, "max_concurrent")});
  }
  out += actions.size() == 1 ? "no actions\n" : renderTable(actions);
  std::vector<std::vector<std::string>> checks{{"SERVICE", "CHECK", "KIND", "STATUS", "TARGET"}};
  for (const auto& c : arrayAt(a, "checks")) {
    checks.push_back(
        {str(c, "service"), str(c, "check"), str(c, "kind"), str(c, "status"), str(c, "target")});
  }
  out += checks.size() == 1 ? "no checks\n" : renderTable(checks);
  return out;
}

std::string formatAgents(const json& body) {
  std::vector<std::vector<std::string>> rows{
      {"AGENT", "HOST", "VERSION", "LAST SEEN", "CHECKS", "STATE"}};
  for (const auto& a : arrayAt(body, "agents")) {
    const bool stopped = a.contains("deregistered_at") && !a["deregistered_at"].is_null();
    rows.push_back({str(a, "id"), str(a, "hostname"), str(a, "version"),
                    formatAge(a.value("age_seconds", json())) + " ago", str(a, "check_count"),
                    stopped ? "stopped" : "running"});
  }
  if (rows.size() == 1) {
    return "no agents yet\n";
  }
  return renderTable(rows);
}

}  // namespace vitals::ctl

namespace vitals::ctl {

std::string formatKeys(const nlohmann::json& body) {
  std::vector<std::vector<std::string>> rows{
      {"ID", "NAME", "ROLE", "PREFIX", "STATE", "CREATOR", "LAST USED", "EXPIRES"}};
  for (const auto& k : arrayAt(body, "keys")) {
    rows.push_back({str(k, "id"), oneLine(str(k, "name"), 32), str(k, "role"), str(k, "prefix"),
                    str(k, "state"), str(k, "creator"), str(k, "last_used_at"),
                    str(k, "expires_at")});
  }
  if (rows.size() == 1) {
    return "no API keys\n";
  }
  return renderTable(rows);
}

std::string formatAlerts(const nlohmann::json& body) {
  std::vector<std::vector<std::string>> rows{
      {"ID", "SERVICE", "KIND", "STATE", "STATUS", "OPENED", "ACK", "WHY"}};
  for (const auto& a : arrayAt(body, "alerts")) {
    std::string why = str(a, "reason");
    if (!str(a, "root_cause").empty()) {
      why += " (root cause: " + str(a, "root_cause") + ")";
    }
    rows.push_back({str(a, "id"), str(a, "service"), str(a, "kind"), str(a, "state"),
                    str(a, "status"), str(a, "opened_at"), str(a, "acknowledged_by"),
                    oneLine(why, 60)});
  }
  if (rows.size() == 1) {
    return "no incidents\n";
  }
  return renderTable(rows);
}

std::string formatSilences(const nlohmann::json& body) {
  std::vector<std::vector<std::string>> rows{
      {"ID", "SERVICE", "AGENT", "CHECK", "FROM", "UNTIL", "MAINT", "CREATOR", "COMMENT"}};
  for (const auto& s : arrayAt(body, "silences")) {
    rows.push_back({str(s, "id"), str(s, "service"), str(s, "agent"), str(s, "check"),
                    str(s, "starts_at"), str(s, "ends_at"), str(s, "maintenance"),
                    str(s, "creator"), oneLine(str(s, "comment"), 40)});
  }
  if (rows.size() == 1) {
    return "no silences\n";
  }
  return renderTable(rows);
}

std::string formatGeneric(const nlohmann::json& body, const std::string& list_key,
                          const std::vector<std::string>& columns) {
  // The scalar fields of an object as "key: value" lines; an array of objects as a table of
  // `columns`, or else of their scalar fields (the first row's keys, at most 8 columns).
  auto scalar = [](const json& v) {
    return v.is_string() ? v.get<std::string>() : v.is_null() ? std::string("-") : v.dump();
  };
  std::string out;
  if (!body.is_object()) {
    return body.dump(2) + "\n";
  }
  for (const auto& [k, v] : body.items()) {
    if (!v.is_structured() && k != list_key) {
      out += k + ": " + oneLine(scalar(v), 100) + "\n";
    }
  }
  if (list_key.empty()) {
    return out;
  }
  const json& items = arrayAt(body, list_key.c_str());
  if (items.empty() || !items.front().is_object()) {
    return out + (items.empty() ? "no " + list_key + "\n" : items.dump(2) + "\n");
  }
  std::vector<std::string> cols = columns;
  for (const auto& [k, v] : items.front().items()) {
    if (columns.empty() && !v.is_structured() && cols.size() < 8) {
      cols.push_back(k);
    }
  }
  std::vector<std::vector<std::string>> rows;
  rows.emplace_back();
  for (const auto& c : cols) {
    std::string upper;
    for (char ch : c) {
      upper += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    rows.back().push_back(upper);
  }
  for (const auto& item : items) {
    rows.emplace_back();
    for (const auto& c : cols) {
      rows.back().push_back(item.contains(c) ? oneLine(scalar(item[c]), 48) : "-");
    }
  }
  return out + renderTable(rows);
}

}  // namespace vitals::ctl
