#include "hub/alerts/pg_alert_store.hpp"

#include "hub/notify/pg_alert_config_store.hpp"

namespace vitals::hub::alerts {

bool covers(const Silence& s, const std::string& service, const std::string& agent,
            const std::string& check, SystemTime at) {
  return at >= s.starts_at && at < s.ends_at && globMatch(s.service, service) &&
         globMatch(s.agent, agent) && globMatch(s.check, check);
}

namespace pg {
namespace {

using store::fromEpochMicros;
using store::PgResult;
using store::pgTimestamp;

std::optional<std::string> optTime(const std::optional<SystemTime>& t) {
  return t ? std::optional<std::string>(pgTimestamp(*t)) : std::nullopt;
}

std::optional<SystemTime> timeAt(const PgResult& r, int row, int col) {
  return r.isNull(row, col) ? std::nullopt
                            : std::optional<SystemTime>(fromEpochMicros(r.get(row, col)));
}

HealthStatus statusAt(const PgResult& r, int row, int col) {
  return parseHealthStatus(r.str(row, col)).value_or(HealthStatus::Unknown);
}

constexpr const char* kIncidentColumns =
    "id, service, kind, state, status, worst_status, reason, agent_id, check_name, " VITALS_EPOCH_US(
        "opened_at") ", " VITALS_EPOCH_US("resolved_at") ", silenced_by, root_cause, notified, level, " VITALS_EPOCH_US("level_at") ", " VITALS_EPOCH_US("last_notified_at") ", reminders, flapping, transitions, " VITALS_EPOCH_US("acked_at") ", acked_by, " VITALS_EPOCH_US("stop_notice_due");

Incident incidentAt(const PgResult& r, int i) {
  Incident x;
  x.id = r.int64(i, 0);
  x.service = r.str(i, 1);
  x.kind = parseIncidentKind(r.get(i, 2)).value_or(IncidentKind::Status);
  x.open = r.get(i, 3) == "open";
  x.status = statusAt(r, i, 4);
  x.worst = statusAt(r, i, 5);
  x.reason = r.str(i, 6);
  x.agent = r.str(i, 7);
  x.check = r.str(i, 8);
  x.opened_at = fromEpochMicros(r.get(i, 9));
  x.resolved_at = timeAt(r, i, 10);
  if (!r.isNull(i, 11)) {
    x.silenced_by = r.int64(i, 11);
  }
  x.root_cause = r.str(i, 12);
  x.notified = r.boolean(i, 13);
  x.level = static_cast<int>(r.int64(i, 14));
  x.level_at = timeAt(r, i, 15);
  x.last_notified_at = timeAt(r, i, 16);
  x.reminders = static_cast<int>(r.int64(i, 17));
  x.flapping = r.boolean(i, 18);
  x.transitions = static_cast<int>(r.int64(i, 19));
  x.acked_at = timeAt(r, i, 20);
  x.acked_by = r.str(i, 21);
  x.stop_notice_due = timeAt(r, i, 22);
  return x;
}

Result<std::vector<Incident>> selectIncidents(store::PgConnection& conn, const std::string& tail,
                                              const store::PgParams& p) {
  auto r = conn.exec(std::string("SELECT ") + kIncidentColumns + " FROM alerts " + tail, p);
  if (!r.ok()) {
    return r.error();
  }
  std::vector<Incident> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(incidentAt(*r, i));
  }
  return out;
}

constexpr const char* kSilenceColumns =
    "id, service, agent, check_name, " VITALS_EPOCH_US("starts_at") ", " VITALS_EPOCH_US(
        "ends_at") ", maintenance, comment, creator, " VITALS_EPOCH_US("created_at");

Result<std::vector<Silence>> selectSilences(store::PgConnection& conn, const std::string& tail,
                                            const store::PgParams& p) {
  auto r = conn.exec(std::string("SELECT ") + kSilenceColumns + " FROM silences " + tail, p);
  if (!r.ok()) {
    return r.error();
  }
  std::vector<Silence> out;
  for (int i = 0; i < r->rows(); ++i) {
    Silence s;
    s.id = r->int64(i, 0);
    s.service = r->str(i, 1);
    s.agent = r->str(i, 2);
    s.check = r->str(i, 3);
    s.starts_at = fromEpochMicros(r->get(i, 4));
    s.ends_at = fromEpochMicros(r->get(i, 5));
    s.maintenance = r->boolean(i, 6);
    s.comment = r->str(i, 7);
    s.creator = r->str(i, 8);
    s.created_at = fromEpochMicros(r->get(i, 9));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

Result<std::int64_t> lockCursor(store::PgConnection& conn) {
  auto r = conn.exec("SELECT last_change_id FROM alert_cursor WHERE id = 1 FOR UPDATE");
  if (!r.ok()) {
    return r.error();
  }
  if (r->rows() == 0) {
    return Error{"db.error", "alert_cursor has no row (schema 0004 not applied?)", {}};
  }
  return r->int64(0, 0);
}

Status advanceCursor(store::PgConnection& conn, std::int64_t last_change_id) {
  auto r = conn.exec("UPDATE alert_cursor SET last_change_id = $1 WHERE id = 1",
                     {std::to_string(last_change_id)});
  return r.ok() ? okStatus() : Status(r.error());
}

Result<std::vector<Change>> changesAfter(store::PgConnection& conn, std::int64_t after, int limit) {
  auto r = conn.exec(
      "SELECT id, service, from_status, to_status, " VITALS_EPOCH_US(
          "at") ", reason, agent_id, check_name, cause, flapping FROM status_changes "
                "WHERE id > $1 ORDER BY id LIMIT $2",
      {std::to_string(after), std::to_string(limit)});
  if (!r.ok()) {
    return r.error();
  }
  std::vector<Change> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    Change c;
    c.id = r->int64(i, 0);
    c.service = r->str(i, 1);
    c.from = statusAt(*r, i, 2);
    c.to = statusAt(*r, i, 3);
    c.at = fromEpochMicros(r->get(i, 4));
    c.reason = r->str(i, 5);
    c.agent = r->str(i, 6);
    c.check = r->str(i, 7);
    c.cause = policy::parseCause(r->get(i, 8)).value_or(policy::Cause::Check);
    c.flapping = r->boolean(i, 9);
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::optional<Incident>> openIncident(store::PgConnection& conn, const std::string& service,
                                             IncidentKind kind) {
  auto rows =
      selectIncidents(conn, "WHERE service = $1 AND kind = $2 AND state = 'open' FOR UPDATE",
                      {service, std::string(toString(kind))});
  if (!rows.ok()) {
    return rows.error();
  }
  if (rows->empty()) {
    return std::optional<Incident>{};
  }
  return std::optional<Incident>{rows->front()};
}

Result<std::vector<Incident>> lockOpenIncidents(store::PgConnection& conn, int limit) {
  return selectIncidents(conn, "WHERE state = 'open' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                         {std::to_string(limit)});
}

Result<std::optional<Incident>> stopPendingIncident(store::PgConnection& conn,
                                                    const std::string& service) {
  auto rows = selectIncidents(conn,
                              "WHERE service = $1 AND kind = 'status' AND state = 'resolved' AND "
                              "stop_notice_due IS NOT NULL ORDER BY id DESC LIMIT 1 FOR UPDATE",
                              {service});
  if (!rows.ok()) {
    return rows.error();
  }
  if (rows->empty()) {
    return std::optional<Incident>{};
  }
  return std::optional<Incident>{rows->front()};
}

Result<bool> agentStillStopped(store::PgConnection& conn, const std::string& agent) {
  auto r = conn.exec(
      "SELECT 1 FROM agents WHERE agent_id = $1 AND (deregistered_at IS NOT NULL OR "
      "forgotten_at IS NOT NULL)",
      {agent});
  if (!r.ok()) {
    return r.error();
  }
  return r->rows() > 0;
}

Result<std::vector<Incident>> lockDueStopNotices(store::PgConnection& conn, SystemTime now,
                                                 int limit) {
  return selectIncidents(conn,
                         "WHERE stop_notice_due IS NOT NULL AND stop_notice_due <= $1 ORDER BY id "
                         "LIMIT $2 FOR UPDATE SKIP LOCKED",
                         {pgTimestamp(now), std::to_string(limit)});
}

Result<std::optional<Incident>> incident(store::PgConnection& conn, std::int64_t id, bool lock) {
  auto rows = selectIncidents(conn, std::string("WHERE id = $1") + (lock ? " FOR UPDATE" : ""),
                              {std::to_string(id)});
  if (!rows.ok()) {
    return rows.error();
  }
  if (rows->empty()) {
    return std::optional<Incident>{};
  }
  return std::optional<Incident>{rows->front()};
}

Result<std::vector<Incident>> incidents(store::PgConnection& conn, const AlertQuery& q) {
  return selectIncidents(
      conn,
      "WHERE ($1 = '' OR state = $1) AND ($2 = '' OR service = $2) AND ($3 = 0 OR id < $3) "
      "AND ($5 = '' OR kind = $5) ORDER BY id DESC LIMIT $4",
      {q.state, q.service, std::to_string(q.before_id), std::to_string(q.limit), q.kind});
}

Status save(store::PgConnection& conn, Incident& x) {
  store::PgParams p{
      x.service,
      std::string(toString(x.kind)),
      std::string(x.open ? "open" : "resolved"),
      std::string(toString(x.status)),
      std::string(toString(x.worst)),
      x.reason,
      x.agent,
      x.check,
      pgTimestamp(x.opened_at),
      optTime(x.resolved_at),
      x.silenced_by ? std::optional<std::string>(std::to_string(*x.silenced_by)) : std::nullopt,
      x.root_cause,
      std::string(x.notified ? "true" : "false"),
      std::to_string(x.level),
      optTime(x.level_at),
      optTime(x.last_notified_at),
      std::to_string(x.reminders),
      std::string(x.flapping ? "true" : "false"),
      std::to_string(x.transitions),
      optTime(x.acked_at),
      x.acked_by,
      optTime(x.stop_notice_due),
  };
  if (x.id == 0) {
    auto r = conn.exec(
        "INSERT INTO alerts (service, kind, state, status, worst_status, reason, agent_id, "
        "check_name, opened_at, resolved_at, silenced_by, root_cause, notified, level, level_at, "
        "last_notified_at, reminders, flapping, transitions, acked_at, acked_by, "
        "stop_notice_due) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
        "$15, $16, $17, $18, $19, $20, $21, $22) RETURNING id",
        p);
    if (!r.ok()) {
      return r.error();
    }
    x.id = r->int64(0, 0);
    return okStatus();
  }
  p.push_back(std::to_string(x.id));
  auto r = conn.exec(
      "UPDATE alerts SET service = $1, kind = $2, state = $3, status = $4, worst_status = $5, "
      "reason = $6, agent_id = $7, check_name = $8, opened_at = $9, resolved_at = $10, "
      "silenced_by = $11, root_cause = $12, notified = $13, level = $14, level_at = $15, "
      "last_notified_at = $16, reminders = $17, flapping = $18, transitions = $19, "
      "acked_at = $20, acked_by = $21, stop_notice_due = $22 WHERE id = $23",
      p);
  return r.ok() ? okStatus() : Status(r.error());
}

Status addEvents(store::PgConnection& conn, std::int64_t alert_id,
                 const std::vector<TimelineEvent>& events, SystemTime at) {
  for (const auto& e : events) {
    auto r = conn.exec(
        "INSERT INTO alert_events (alert_id, at, event, channel, detail) "
        "VALUES ($1, $2, $3, $4, $5)",
        {std::to_string(alert_id), pgTimestamp(at), e.event, e.channel, e.detail});
    if (!r.ok()) {
      return r.error();
    }
  }
  return okStatus();
}

Result<std::vector<TimelineRow>> timeline(store::PgConnection& conn, std::int64_t alert_id) {
  auto r = conn.exec("SELECT id, " VITALS_EPOCH_US(
                         "at") ", event, channel, detail FROM alert_events WHERE alert_id = $1 "
                               "ORDER BY id",
                     {std::to_string(alert_id)});
  if (!r.ok()) {
    return r.error();
  }
  std::vector<TimelineRow> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(
        {r->int64(i, 0), fromEpochMicros(r->get(i, 1)), r->str(i, 2), r->str(i, 3), r->str(i, 4)});
  }
  return out;
}

Result<std::vector<Silence>> silences(store::PgConnection& conn, SystemTime from,
                                      SystemTime until) {
  return selectSilences(conn, "WHERE ends_at > $1 AND starts_at < $2 ORDER BY id",
                        {pgTimestamp(from), pgTimestamp(until)});
}

Result<std::vector<Silence>> allSilences(store::PgConnection& conn, bool include_expired,
                                         SystemTime now, int limit) {
  return selectSilences(
      conn, "WHERE ($1 OR ends_at > $2) ORDER BY id DESC LIMIT $3",
      {std::string(include_expired ? "true" : "false"), pgTimestamp(now), std::to_string(limit)});
}

Result<std::optional<Silence>> silence(store::PgConnection& conn, std::int64_t id) {
  auto rows = selectSilences(conn, "WHERE id = $1", {std::to_string(id)});
  if (!rows.ok()) {
    return rows.error();
  }
  if (rows->empty()) {
    return std::optional<Silence>{};
  }
  return std::optional<Silence>{rows->front()};
}

Result<std::int64_t> insertSilence(store::PgConnection& conn, const Silence& s) {
  auto r = conn.exec(
      "INSERT INTO silences (service, agent, check_name, starts_at, ends_at, maintenance, "
      "comment, creator, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
      {s.service, s.agent, s.check, pgTimestamp(s.starts_at), pgTimestamp(s.ends_at),
       std::string(s.maintenance ? "true" : "false"), s.comment, s.creator,
       pgTimestamp(s.created_at)});
  if (!r.ok()) {
    return r.error();
  }
  return r->int64(0, 0);
}

Result<bool> expireSilence(store::PgConnection& conn, std::int64_t id, SystemTime now) {
  // A silence that has not started yet ends where it starts (kept for the record).
  auto r = conn.exec(
      "UPDATE silences SET ends_at = GREATEST(starts_at + interval '1 microsecond', $2) "
      "WHERE id = $1 AND ends_at > $2",
      {std::to_string(id), pgTimestamp(now)});
  if (!r.ok()) {
    return r.error();
  }
  return r->affected() > 0;
}

Result<std::string> alertConfigsFingerprint(store::PgConnection& conn) {
  // Every insert or update gives its row a new xmin and a delete changes the count: equal
  // fingerprints mean the same stored configs, whichever replica wrote them.
  auto r = conn.exec(
      "SELECT count(*)::text || ':' || coalesce(sum(xmin::text::bigint), 0)::text "
      "FROM health_alert_configs");
  if (!r.ok()) {
    return r.error();
  }
  return r->str(0, 0);
}

Result<std::optional<notify::AlertConfig>> alertConfig(store::PgConnection& conn,
                                                       const std::string& service) {
  auto rows = notify::selectAlertConfigs(conn, "WHERE service = $1", {service});
  if (!rows.ok()) {
    return rows.error();
  }
  if (rows->empty()) {
    return std::optional<notify::AlertConfig>{};
  }
  return std::optional<notify::AlertConfig>{rows->front()};
}

}  // namespace pg
}  // namespace vitals::hub::alerts

namespace vitals::hub::alerts {

Status PgAlertStore::transaction(const std::function<Status()>& fn) {
  return store::inTransaction(conn_, fn);
}

}  // namespace vitals::hub::alerts
