#include "hub/events/pg_event_log.hpp"

#include <nlohmann/json.hpp>

#include "hub/audit/audit_log.hpp"

namespace vitals::hub::events {
namespace {

constexpr std::chrono::milliseconds kPoolWait{2000};

nlohmann::json paramsJson(const std::map<std::string, std::string>& params) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : params) {
    j[k] = v;
  }
  return j;
}

}  // namespace

Result<std::int64_t> PgEventLog::accept(const EventRecord& e, SystemTime now) {
  return store::inTransaction(
      pool_, kPoolWait, [&](store::PgConnection& conn) -> Result<std::int64_t> {
        const std::string params = paramsJson(e.params).dump();
        auto r = conn.exec(
            "INSERT INTO inbound_events (source, event_type, target, payload, rule, agent_id, "
            "action, "
            "params, outcome, detail, received_at) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, "
            "$8::jsonb, $9, $10, $11::timestamptz) RETURNING id",
            {e.source, e.event_type, e.target, e.payload_json, e.rule, e.agent, e.action, params,
             e.outcome, e.detail, store::pgTimestamp(e.received_at)});
        if (!r.ok()) {
          return r.error();
        }
        const std::int64_t id = r->int64(0, 0);
        const nlohmann::json audit_params = {{"event_id", id},
                                             {"source", e.source},
                                             {"event_type", e.event_type},
                                             {"rule", e.rule},
                                             {"agent", e.agent},
                                             {"action", e.action},
                                             {"params", paramsJson(e.params)}};
        auto a = audit::append(
            conn,
            {e.actor, "event.accept", "event-target:" + e.target, audit_params.dump(), e.outcome},
            now);
        if (!a.ok()) {
          return a.error();
        }
        return id;
      });
}

Status PgEventLog::finish(const EventRecord& e, const std::string& outcome,
                          const std::string& detail, SystemTime now) {
  auto done =
      store::inTransaction(pool_, kPoolWait, [&](store::PgConnection& conn) -> Result<bool> {
        auto r = conn.exec(
            "UPDATE inbound_events SET outcome = $2, detail = $3, finished_at = $4::timestamptz "
            "WHERE id = $1",
            {std::to_string(e.id), outcome, detail, store::pgTimestamp(now)});
        if (!r.ok()) {
          return r.error();
        }
        const nlohmann::json audit_params = {{"event_id", e.id},
                                             {"action", e.action},
                                             {"params", paramsJson(e.params)},
                                             {"detail", detail}};
        auto a = audit::append(
            conn, {e.actor, "event.action", "agent:" + e.agent, audit_params.dump(), outcome}, now);
        if (!a.ok()) {
          return a.error();
        }
        return true;
      });
  if (!done.ok()) {
    return done.error();
  }
  return okStatus();
}

Result<std::vector<EventRecord>> PgEventLog::recent(int limit) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(
      "SELECT id, source, event_type, target, payload::text, rule, agent_id, action, "
      "params::text, outcome, detail, " VITALS_EPOCH_US("received_at") ", " VITALS_EPOCH_US(
          "finished_at") " FROM inbound_events ORDER BY received_at DESC, id DESC LIMIT $1",
      {std::to_string(limit)});
  if (!r.ok()) {
    return r.error();
  }
  std::vector<EventRecord> out;
  for (int i = 0; i < r->rows(); ++i) {
    EventRecord e;
    e.id = r->int64(i, 0);
    e.source = r->str(i, 1);
    e.event_type = r->str(i, 2);
    e.target = r->str(i, 3);
    e.payload_json = r->str(i, 4);
    e.rule = r->str(i, 5);
    e.agent = r->str(i, 6);
    e.action = r->str(i, 7);
    auto params = nlohmann::json::parse(r->str(i, 8), nullptr, false);
    if (params.is_object()) {
      for (auto it = params.begin(); it != params.end(); ++it) {
        if (it.value().is_string()) {
          e.params[it.key()] = it.value().get<std::string>();
        }
      }
    }
    e.outcome = r->str(i, 9);
    e.detail = r->str(i, 10);
    e.received_at = store::fromEpochMicros(r->get(i, 11));
    if (!r->isNull(i, 12)) {
      e.finished_at = store::fromEpochMicros(r->get(i, 12));
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace vitals::hub::events
