#include "hub/repair/pg_repair_rows.hpp"

namespace vitals::hub::repair::pgrows {

using nlohmann::json;
using std::chrono::milliseconds;
using store::PgResult;

const char* const kRecordColumns =
    "id, service, agent_id, action, incident, trigger, coalesce(failure_class, ''), decision, "
    "reasons::text, status, requested_by, coalesce(decided_by, ''), coalesce(request_id, ''), "
    "coalesce(outcome, ''), exit_code, duration_ms, coalesce(output, ''), "
    "coalesce(output_truncated, false), coalesce(error, ''), verified, "
    "coalesce(verify_message, ''), coalesce(verify_after_ms, 0), "
    "" VITALS_EPOCH_US("created_at") ", " VITALS_EPOCH_US("decided_at") ", "
    "" VITALS_EPOCH_US("expires_at") ", " VITALS_EPOCH_US("started_at") ", "
    "" VITALS_EPOCH_US("finished_at") ", " VITALS_EPOCH_US("verified_at") ", "
    "params::text";

const char* const kPolicyColumns =
    "service, enabled, dry_run, require_approval, actions::text, restart_action, max_attempts, "
    "cooldown_ms, circuit_breaker, verify_after_ms, "
    "" VITALS_EPOCH_US("breaker_reset_at") ", " VITALS_EPOCH_US("updated_at") ", "
    "updated_by";

std::optional<SystemTime> timeAt(const PgResult& r, int row, int col) {
  if (r.isNull(row, col)) {
    return std::nullopt;
  }
  return store::fromEpochMicros(r.get(row, col));
}

std::string interval(milliseconds d) { return std::to_string(d.count()) + " milliseconds"; }

std::string reasonsJson(const std::vector<std::string>& reasons) {
  json j = json::array();
  for (const auto& r : reasons) {
    j.push_back(r);
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string paramsJson(const std::map<std::string, std::string>& params) {
  json j = json::object();
  for (const auto& [k, v] : params) {
    j[k] = v;
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string actionsJson(const RepairPolicy& p) {
  json j = json::object();
  for (const auto& [cls, name] : p.actions) {
    j[std::string(toString(cls))] = name;
  }
  return j.dump();
}

std::string capped(const std::string& text, std::size_t max, bool& truncated) {
  std::string out;
  out.reserve(std::min(text.size(), max));
  for (char ch : text) {
    if (out.size() >= max) {
      truncated = true;
      break;
    }
    if (ch != '\0') {
      out += ch;
    }
  }
  // Do not cut a UTF-8 sequence in half (the column is text).
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) {
    out.pop_back();
  }
  if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0xC0) {
    out.pop_back();
  }
  return out;
}

RepairRecord recordAt(const PgResult& r, int i) {
  RepairRecord x;
  x.id = r.int64(i, 0);
  x.service = r.str(i, 1);
  x.agent = r.str(i, 2);
  x.action = r.str(i, 3);
  x.incident = r.str(i, 4);
  x.trigger = r.str(i, 5);
  x.failure_class = r.str(i, 6);
  x.decision = r.str(i, 7);
  const json reasons = json::parse(r.get(i, 8), nullptr, false);
  if (reasons.is_array()) {
    for (const auto& s : reasons) {
      if (s.is_string()) {
        x.reasons.push_back(s.get<std::string>());
      }
    }
  }
  x.status = r.str(i, 9);
  x.requested_by = r.str(i, 10);
  x.decided_by = r.str(i, 11);
  x.request_id = r.str(i, 12);
  x.outcome = r.str(i, 13);
  if (!r.isNull(i, 14)) {
    x.exit_code = static_cast<int>(r.int64(i, 14));
  }
  if (!r.isNull(i, 15)) {
    x.duration_ms = r.int64(i, 15);
  }
  x.output = r.str(i, 16);
  x.output_truncated = r.boolean(i, 17);
  x.error = r.str(i, 18);
  if (!r.isNull(i, 19)) {
    x.verified = r.boolean(i, 19);
  }
  x.verify_message = r.str(i, 20);
  x.verify_after_ms = r.int64(i, 21);
  x.created_at = timeAt(r, i, 22);
  x.decided_at = timeAt(r, i, 23);
  x.expires_at = timeAt(r, i, 24);
  x.started_at = timeAt(r, i, 25);
  x.finished_at = timeAt(r, i, 26);
  x.verified_at = timeAt(r, i, 27);
  const json params = json::parse(r.get(i, 28), nullptr, false);
  if (params.is_object()) {
    for (const auto& [k, v] : params.items()) {
      if (v.is_string()) {
        x.params[k] = v.get<std::string>();
      }
    }
  }
  return x;
}

RepairPolicy policyAt(const PgResult& r, int i) {
  RepairPolicy p;
  p.service = r.str(i, 0);
  p.enabled = r.boolean(i, 1);
  p.dry_run = r.boolean(i, 2);
  p.require_approval = r.boolean(i, 3);
  const json actions = json::parse(r.get(i, 4), nullptr, false);
  if (actions.is_object()) {
    for (const auto& [k, v] : actions.items()) {
      auto cls = parseFailureClass(k);
      if (cls && v.is_string()) {
        p.actions[*cls] = v.get<std::string>();
      }
    }
  }
  p.restart_action = r.str(i, 5);
  p.max_attempts = static_cast<int>(r.int64(i, 6));
  p.cooldown = milliseconds{r.int64(i, 7)};
  p.circuit_breaker = static_cast<int>(r.int64(i, 8));
  p.verify_after = milliseconds{r.int64(i, 9)};
  p.breaker_reset_at = timeAt(r, i, 10);
  p.updated_at = timeAt(r, i, 11);
  p.updated_by = r.str(i, 12);
  return p;
}

json auditParams(std::int64_t id, const NewRepair& n, const std::string& request_id) {
  json j = {{"repair_id", id},
            {"service", n.service},
            {"agent", n.agent},
            {"action", n.action},
            {"incident", n.incident},
            {"trigger", std::string(toString(n.trigger))},
            {"requested_by", n.requested_by}};
  if (!request_id.empty()) {
    j["request_id"] = request_id;
  }
  if (!n.params.empty()) {
    j["params"] = n.params;
  }
  return j;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string target(const std::string& agent, const std::string& action) {
  return "agent:" + agent + "/action:" + action;
}

}  // namespace vitals::hub::repair::pgrows
