#include "hub/federation/pg_federation_store.hpp"

#include <nlohmann/json.hpp>

#include "hub/store/pg_connection.hpp"

namespace vitals::hub::federation {
namespace {

using store::PgParams;
constexpr std::chrono::milliseconds kPoolWait{2000};

std::optional<std::string> ts(const std::optional<SystemTime>& t) {
  if (!t) {
    return std::nullopt;
  }
  return store::pgTimestamp(*t);
}

// text[] parameters go as a JSON array through jsonb (no array-literal escaping of our own).
std::string jsonArray(const std::vector<std::string>& items) {
  return nlohmann::json(items).dump();
}

std::vector<std::string> fromJsonArray(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& v : j) {
      if (v.is_string()) {
        out.push_back(v.get<std::string>());
      }
    }
  }
  return out;
}

std::optional<SystemTime> optTime(const store::PgResult& r, int row, int col) {
  if (r.isNull(row, col)) {
    return std::nullopt;
  }
  return store::fromEpochMicros(r.get(row, col));
}

constexpr const char* kArrayFromJson = "ARRAY(SELECT jsonb_array_elements_text($%d::jsonb))";

std::string arrayParam(int n) {
  char buf[96];
  std::snprintf(buf, sizeof buf, kArrayFromJson, n);
  return buf;
}

}  // namespace

Status PgFederationStore::save(const RemoteHub& h, const std::vector<RemoteService>& upserted,
                               const std::vector<std::string>& removed) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto& conn = lease->conn();
  return store::inTransaction(conn, [&]() -> Status {
    const std::string hub_sql =
        "INSERT INTO federation_hubs (id, url, version, capabilities, overall_status, "
        "last_summary_at, last_heard_at, services_total, services_up, services_degraded, "
        "services_down, services_unknown, agents_online, agents_total, open_incidents, stale, "
        "registered_at) VALUES ($1, $2, $3, " +
        arrayParam(4) +
        ", $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) "
        "ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, version = EXCLUDED.version, "
        "capabilities = EXCLUDED.capabilities, overall_status = EXCLUDED.overall_status, "
        "last_summary_at = EXCLUDED.last_summary_at, last_heard_at = EXCLUDED.last_heard_at, "
        "services_total = EXCLUDED.services_total, services_up = EXCLUDED.services_up, "
        "services_degraded = EXCLUDED.services_degraded, "
        "services_down = EXCLUDED.services_down, services_unknown = EXCLUDED.services_unknown, "
        "agents_online = EXCLUDED.agents_online, agents_total = EXCLUDED.agents_total, "
        "open_incidents = EXCLUDED.open_incidents, stale = EXCLUDED.stale, "
        "registered_at = EXCLUDED.registered_at";
    auto r = conn.exec(
        hub_sql, PgParams{h.id, h.url, h.version, jsonArray(h.capabilities), h.overall_status,
                          ts(h.last_summary_at), ts(h.last_heard_at),
                          std::to_string(h.services_total), std::to_string(h.services_up),
                          std::to_string(h.services_degraded), std::to_string(h.services_down),
                          std::to_string(h.services_unknown), std::to_string(h.agents_online),
                          std::to_string(h.agents_total), std::to_string(h.open_incidents),
                          h.stale ? "true" : "false", ts(h.registered_at)});
    if (!r.ok()) {
      return r.error();
    }
    if (!removed.empty()) {
      auto d = conn.exec(
          "DELETE FROM federation_services WHERE hub_id = $1 AND name IN "
          "(SELECT jsonb_array_elements_text($2::jsonb))",
          PgParams{h.id, jsonArray(removed)});
      if (!d.ok()) {
        return d.error();
      }
    }
    if (!upserted.empty()) {
      // One statement for all rows: the rows as a JSON array expanded by jsonb_to_recordset.
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& s : upserted) {
        const auto& v = s.summary;
        rows.push_back({{"name", v.name},
                        {"type", v.type},
                        {"status", std::string(toString(v.status))},
                        {"latency_ms", v.latency_ms},
                        {"version", v.version},
                        {"uptime_seconds", v.uptime_seconds},
                        {"endpoints_healthy", v.endpoints_healthy},
                        {"endpoints_total", v.endpoints_total},
                        {"endpoints", v.endpoints},
                        {"updated_at", store::pgTimestamp(s.updated_at)}});
      }
      auto u = conn.exec(
          "INSERT INTO federation_services (hub_id, name, type, status, latency_ms, version, "
          "uptime_seconds, endpoints_healthy, endpoints_total, endpoints, updated_at) "
          "SELECT $1, r.name, r.type, r.status, r.latency_ms, r.version, r.uptime_seconds, "
          "r.endpoints_healthy, r.endpoints_total, "
          "ARRAY(SELECT jsonb_array_elements_text(r.endpoints)), r.updated_at "
          "FROM jsonb_to_recordset($2::jsonb) AS r(name text, type text, status text, "
          "latency_ms bigint, version text, uptime_seconds bigint, endpoints_healthy int, "
          "endpoints_total int, endpoints jsonb, updated_at timestamptz) "
          "ON CONFLICT (hub_id, name) DO UPDATE SET type = EXCLUDED.type, "
          "status = EXCLUDED.status, latency_ms = EXCLUDED.latency_ms, "
          "version = EXCLUDED.version, uptime_seconds = EXCLUDED.uptime_seconds, "
          "endpoints_healthy = EXCLUDED.endpoints_healthy, "
          "endpoints_total = EXCLUDED.endpoints_total, endpoints = EXCLUDED.endpoints, "
          "updated_at = EXCLUDED.updated_at",
          PgParams{h.id, rows.dump()});
      if (!u.ok()) {
        return u.error();
      }
    }
    return okStatus();
  });
}

Result<FederationStore::Snapshot> PgFederationStore::load() {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto& conn = lease->conn();
  Snapshot out;
  auto h = conn.exec(
      "SELECT id, url, version, to_jsonb(capabilities)::text, overall_status, "
      VITALS_EPOCH_US("last_summary_at") ", " VITALS_EPOCH_US("last_heard_at") ", "
      "services_total, services_up, services_degraded, services_down, services_unknown, "
      "agents_online, agents_total, open_incidents, stale, " VITALS_EPOCH_US("registered_at")
      " FROM federation_hubs ORDER BY id");
  if (!h.ok()) {
    return h.error();
  }
  const auto& hr = h.value();
  for (int i = 0; i < hr.rows(); ++i) {
    RemoteHub r;
    r.id = hr.str(i, 0);
    r.url = hr.str(i, 1);
    r.version = hr.str(i, 2);
    r.capabilities = fromJsonArray(hr.get(i, 3));
    r.overall_status = hr.str(i, 4);
    r.last_summary_at = optTime(hr, i, 5);
    r.last_heard_at = optTime(hr, i, 6);
    r.services_total = static_cast<std::uint32_t>(hr.int64(i, 7));
    r.services_up = static_cast<std::uint32_t>(hr.int64(i, 8));
    r.services_degraded = static_cast<std::uint32_t>(hr.int64(i, 9));
    r.services_down = static_cast<std::uint32_t>(hr.int64(i, 10));
    r.services_unknown = static_cast<std::uint32_t>(hr.int64(i, 11));
    r.agents_online = static_cast<std::uint32_t>(hr.int64(i, 12));
    r.agents_total = static_cast<std::uint32_t>(hr.int64(i, 13));
    r.open_incidents = static_cast<std::uint32_t>(hr.int64(i, 14));
    r.stale = hr.get(i, 15) == "t";
    r.registered_at = optTime(hr, i, 16);
    out.hubs.push_back(std::move(r));
  }
  auto s = conn.exec(
      "SELECT hub_id, name, type, status, latency_ms, version, uptime_seconds, "
      "endpoints_healthy, endpoints_total, to_jsonb(endpoints)::text, " VITALS_EPOCH_US(
          "updated_at") " FROM federation_services ORDER BY hub_id, name");
  if (!s.ok()) {
    return s.error();
  }
  const auto& sr = s.value();
  for (int i = 0; i < sr.rows(); ++i) {
    RemoteService r;
    r.hub_id = sr.str(i, 0);
    r.summary.name = sr.str(i, 1);
    r.summary.type = sr.str(i, 2);
    r.summary.status = parseHealthStatus(sr.get(i, 3)).value_or(HealthStatus::Unknown);
    r.summary.latency_ms = static_cast<std::uint32_t>(sr.int64(i, 4));
    r.summary.version = sr.str(i, 5);
    r.summary.uptime_seconds = static_cast<std::uint64_t>(sr.int64(i, 6));
    r.summary.endpoints_healthy = static_cast<std::uint32_t>(sr.int64(i, 7));
    r.summary.endpoints_total = static_cast<std::uint32_t>(sr.int64(i, 8));
    r.summary.endpoints = fromJsonArray(sr.get(i, 9));
    r.updated_at = store::fromEpochMicros(sr.get(i, 10));
    out.services.push_back(std::move(r));
  }
  return out;
}

}  // namespace vitals::hub::federation
