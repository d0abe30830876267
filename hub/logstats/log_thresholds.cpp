#include "hub/logstats/log_thresholds.hpp"

#include <cmath>

namespace vitals::hub::logstats {
namespace {

constexpr std::chrono::milliseconds kPoolWait{2000};

nlohmann::json optNumber(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

std::optional<std::string> optText(const std::optional<double>& v) {
  if (!v) {
    return std::nullopt;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", *v);
  return std::string(buf);
}

std::optional<double> optDouble(const store::PgResult& r, int row, int col) {
  if (r.isNull(row, col)) {
    return std::nullopt;
  }
  return std::strtod(r.str(row, col).c_str(), nullptr);
}

}  // namespace

nlohmann::json toJson(const LogThreshold& t) {
  nlohmann::json j = {{"service", t.service},
                      {"errors_per_minute", optNumber(t.errors_per_minute)},
                      {"warnings_per_minute", optNumber(t.warnings_per_minute)},
                      {"source", t.source}};
  if (t.updated_at) {
    j["updated_at"] = formatRfc3339(*t.updated_at);
    j["updated_by"] = t.updated_by;
  }
  return j;
}

Result<LogThreshold> parseThresholdBody(const nlohmann::json& body, const std::string& service) {
  auto bad = [](const std::string& m) { return Error{"bad_request", m, {}}; };
  if (!body.is_object()) {
    return bad("the body must be a JSON object");
  }
  LogThreshold t;
  t.service = service;
  bool any = false;
  for (const auto& [key, value] : body.items()) {
    std::optional<double>* field = nullptr;
    if (key == "errors_per_minute") {
      field = &t.errors_per_minute;
    } else if (key == "warnings_per_minute") {
      field = &t.warnings_per_minute;
    } else {
      return bad("unknown field \"" + key + "\" (allowed: errors_per_minute, warnings_per_minute)");
    }
    any = true;
    if (value.is_null()) {
      continue;
    }
    if (!value.is_number()) {
      return bad(key + ": must be a number of lines per minute or null");
    }
    const double v = value.get<double>();
    if (!std::isfinite(v) || v <= 0 || v > 1e9) {
      return bad(key + ": must be greater than 0 and at most 1e9, got " + value.dump());
    }
    *field = v;
  }
  if (!any) {
    return bad("give errors_per_minute and/or warnings_per_minute");
  }
  return t;
}

Result<std::vector<LogThreshold>> PgThresholdStore::list() {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(
      "SELECT service, errors_per_minute::text, warnings_per_minute::text, " VITALS_EPOCH_US(
          "updated_at") ", updated_by FROM log_thresholds ORDER BY service");
  if (!r.ok()) {
    return r.error();
  }
  std::vector<LogThreshold> out;
  for (int i = 0; i < r->rows(); ++i) {
    LogThreshold t;
    t.service = r->str(i, 0);
    t.errors_per_minute = optDouble(r.value(), i, 1);
    t.warnings_per_minute = optDouble(r.value(), i, 2);
    t.updated_at = r->epochTime(i, 3);
    t.updated_by = r->str(i, 4);
    out.push_back(std::move(t));
  }
  return out;
}

Result<bool> PgThresholdStore::put(const LogThreshold& t) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(
      "INSERT INTO log_thresholds (service, errors_per_minute, warnings_per_minute, updated_at, "
      "updated_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (service) DO UPDATE SET "
      "errors_per_minute = EXCLUDED.errors_per_minute, warnings_per_minute = "
      "EXCLUDED.warnings_per_minute, updated_at = EXCLUDED.updated_at, updated_by = "
      "EXCLUDED.updated_by RETURNING (xmax = 0)",
      {t.service, optText(t.errors_per_minute), optText(t.warnings_per_minute),
       store::pgTimestamp(t.updated_at.value_or(SystemTime{})), t.updated_by});
  if (!r.ok()) {
    return r.error();
  }
  return r->rows() > 0 && r->boolean(0, 0);
}

Result<bool> PgThresholdStore::remove(const std::string& service) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec("DELETE FROM log_thresholds WHERE service = $1", {service});
  if (!r.ok()) {
    return r.error();
  }
  return r->affected() > 0;
}

std::vector<LogThreshold> configuredThresholds(const policy::ServiceRules& rules) {
  std::vector<LogThreshold> out;
  for (const auto& [name, rule] : rules) {
    if (rule.log_errors_per_minute <= 0 && rule.log_warnings_per_minute <= 0) {
      continue;
    }
    LogThreshold t;
    t.service = name;
    t.source = "config";
    if (rule.log_errors_per_minute > 0) {
      t.errors_per_minute = rule.log_errors_per_minute;
    }
    if (rule.log_warnings_per_minute > 0) {
      t.warnings_per_minute = rule.log_warnings_per_minute;
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::map<std::string, LogThreshold> effectiveThresholds(const policy::ServiceRules& rules,
                                                        const std::vector<LogThreshold>& stored) {
  std::map<std::string, LogThreshold> out;
  for (auto& t : configuredThresholds(rules)) {
    out[t.service] = std::move(t);
  }
  for (const auto& t : stored) {
    auto copy = t;
    copy.source = "api";
    out[t.service] = std::move(copy);
  }
  return out;
}

ThresholdCache::ThresholdCache(ThresholdStore& store, const Clock& clock,
                               policy::ServiceRules rules, std::chrono::milliseconds refresh)
    : store_(store),
      clock_(clock),
      rules_(std::move(rules)),
      refresh_(refresh),
      current_(effectiveThresholds(rules_, {})) {}

std::pair<double, double> ThresholdCache::limits(const std::string& service) {
  std::lock_guard lock(mu_);
  const auto now = clock_.steadyNow();
  if (!loaded_at_ || now - *loaded_at_ >= refresh_) {
    loaded_at_ = now;  // a failed read is retried after `refresh` too
    if (auto stored = store_.list(); stored.ok()) {
      current_ = effectiveThresholds(rules_, stored.value());
    }
  }
  auto it = current_.find(service);
  if (it == current_.end()) {
    return {0.0, 0.0};
  }
  return {it->second.errors_per_minute.value_or(0.0), it->second.warnings_per_minute.value_or(0.0)};
}

void ThresholdCache::invalidate() {
  std::lock_guard lock(mu_);
  loaded_at_.reset();
}

}  // namespace vitals::hub::logstats
