#include "hub/registry/pg_registry_store.hpp"

#include <nlohmann/json.hpp>

#include "hub/audit/audit_log.hpp"

namespace vitals::hub::registry {
namespace {

using nlohmann::json;
constexpr std::chrono::milliseconds kPoolWait{2000};

std::vector<std::string> stringsOf(const std::string& text) {
  std::vector<std::string> out;
  auto j = json::parse(text, nullptr, false);
  if (j.is_array()) {
    for (const auto& v : j) {
      if (v.is_string()) {
        out.push_back(v.get<std::string>());
      }
    }
  }
  return out;
}

constexpr const char* kMetaColumns =
    "name, owner, to_jsonb(tags)::text, to_jsonb(depends_on)::text, version, description, "
    "" VITALS_EPOCH_US("updated_at") ", updated_by";

ServiceMeta rowToMeta(const store::PgResult& r, int i) {
  ServiceMeta m;
  m.name = r.str(i, 0);
  m.owner = r.str(i, 1);
  m.tags = stringsOf(r.str(i, 2));
  m.depends_on = stringsOf(r.str(i, 3));
  m.version = r.str(i, 4);
  m.description = r.str(i, 5);
  m.updated_at = r.epochTime(i, 6);
  m.updated_by = r.str(i, 7);
  return m;
}

constexpr const char* kCheckColumns =
    "agent_id, name, service, kind, definition::text, state, error, generation, "
    "" VITALS_EPOCH_US("created_at") ", created_by, " VITALS_EPOCH_US(
        "updated_at") ", updated_by, " VITALS_EPOCH_US("applied_at");

ApiCheckRow rowToCheck(const store::PgResult& r, int i) {
  ApiCheckRow c;
  c.agent_id = r.str(i, 0);
  c.name = r.str(i, 1);
  c.service = r.str(i, 2);
  c.kind = r.str(i, 3);
  c.definition = r.str(i, 4);
  c.state = r.str(i, 5);
  c.error = r.str(i, 6);
  c.generation = r.int64(i, 7);
  c.created_at = r.epochTime(i, 8).value_or(SystemTime{});
  c.created_by = r.str(i, 9);
  c.updated_at = r.epochTime(i, 10).value_or(SystemTime{});
  c.updated_by = r.str(i, 11);
  c.applied_at = r.epochTime(i, 12);
  return c;
}

}  // namespace

Result<std::vector<ServiceMeta>> PgRegistryStore::selectMeta(const std::string& where,
                                                             const store::PgParams& params) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(
      std::string("SELECT ") + kMetaColumns + " FROM service_meta " + where + " ORDER BY name",
      params);
  if (!r.ok()) {
    return r.error();
  }
  std::vector<ServiceMeta> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(rowToMeta(*r, i));
  }
  return out;
}

Result<std::vector<ServiceMeta>> PgRegistryStore::loadMeta() { return selectMeta("", {}); }

Result<std::optional<ServiceMeta>> PgRegistryStore::getMeta(const std::string& name) {
  auto rows = selectMeta("WHERE name = $1", {name});
  if (!rows.ok()) {
    return rows.error();
  }
  if (rows->empty()) {
    return std::optional<ServiceMeta>();
  }
  return std::optional<ServiceMeta>(rows->front());
}

Result<ServiceMeta> PgRegistryStore::putMeta(const ServiceMeta& m, SystemTime now) {
  return store::inTransaction(
      pool_, kPoolWait, [&](store::PgConnection& conn) -> Result<ServiceMeta> {
        auto r = conn.exec(
            std::string(
                "INSERT INTO service_meta (name, owner, tags, depends_on, version, description, "
                "updated_at, updated_by) VALUES ($1, $2, "
                "ARRAY(SELECT jsonb_array_elements_text($3::jsonb)), "
                "ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), $5, $6, $7::timestamptz, $8) "
                "ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, tags = EXCLUDED.tags, "
                "depends_on = EXCLUDED.depends_on, version = EXCLUDED.version, "
                "description = EXCLUDED.description, updated_at = EXCLUDED.updated_at, "
                "updated_by = EXCLUDED.updated_by RETURNING ") +
                kMetaColumns,
            {m.name, m.owner, json(m.tags).dump(), json(m.depends_on).dump(), m.version,
             m.description, store::pgTimestamp(now), m.updated_by});
        if (!r.ok()) {
          return r.error();
        }
        const json params = {{"owner", m.owner},
                             {"tags", m.tags},
                             {"depends_on", m.depends_on},
                             {"version", m.version},
                             {"description", m.description}};
        auto a = audit::append(
            conn, {m.updated_by, "service.update", "service:" + m.name, params.dump(), "ok"}, now);
        if (!a.ok()) {
          return a.error();
        }
        return rowToMeta(*r, 0);
      });
}

Result<std::vector<ApiCheckRow>> PgRegistryStore::checks(const std::string& agent) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(
      std::string("SELECT ") + kCheckColumns + " FROM api_checks WHERE agent_id = $1 ORDER BY name",
      {agent});
  if (!r.ok()) {
    return r.error();
  }
  std::vector<ApiCheckRow> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(rowToCheck(*r, i));
  }
  return out;
}

Result<std::vector<std::string>> PgRegistryStore::agentsWithChecks() {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec("SELECT DISTINCT agent_id FROM api_checks ORDER BY agent_id");
  if (!r.ok()) {
    return r.error();
  }
  return r->strings(0);
}

Result<ApiCheckRow> PgRegistryStore::putCheck(const ApiCheckRow& c, bool create_only,
                                              SystemTime now) {
  return store::inTransaction(
      pool_, kPoolWait, [&](store::PgConnection& conn) -> Result<ApiCheckRow> {
        auto existing =
            conn.exec("SELECT state FROM api_checks WHERE agent_id = $1 AND name = $2 FOR UPDATE",
                      {c.agent_id, c.name});
        if (!existing.ok()) {
          return existing.error();
        }
        const bool live = existing->rows() == 1 && existing->str(0, 0) != "deleting";
        if (create_only && live) {
          return Error{"conflict",
                       "agent " + c.agent_id + " has a check named \"" + c.name +
                           "\" already (PUT replaces it)",
                       {}};
        }
        auto r = conn.exec(
            std::string(
                "INSERT INTO api_checks (agent_id, name, service, kind, definition, state, error, "
                "generation, created_at, created_by, updated_at, updated_by) VALUES ($1, $2, $3, "
                "$4, "
                "$5::jsonb, 'pending', '', 1, $6::timestamptz, $7, $6::timestamptz, $7) "
                "ON CONFLICT (agent_id, name) DO UPDATE SET service = EXCLUDED.service, "
                "kind = EXCLUDED.kind, definition = EXCLUDED.definition, state = 'pending', "
                "error = '', generation = api_checks.generation + 1, "
                "updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by, "
                "applied_at = NULL RETURNING ") +
                kCheckColumns,
            {c.agent_id, c.name, c.service, c.kind, c.definition, store::pgTimestamp(now),
             c.updated_by});
        if (!r.ok()) {
          return r.error();
        }
        auto params = json::parse(c.definition, nullptr, false);
        auto a = audit::append(conn,
                               {c.updated_by, live ? "check.update" : "check.create",
                                "agent:" + c.agent_id + "/check:" + c.name,
                                params.is_object() ? params.dump() : "{}", "ok"},
                               now);
        if (!a.ok()) {
          return a.error();
        }
        return rowToCheck(*r, 0);
      });
}

Result<bool> PgRegistryStore::deleteCheck(const std::string& agent, const std::string& name,
                                          const std::string& actor, SystemTime now) {
  return store::inTransaction(pool_, kPoolWait, [&](store::PgConnection& conn) -> Result<bool> {
    auto r = conn.exec(
        "UPDATE api_checks SET state = 'deleting', error = '', generation = generation + 1, "
        "updated_at = $3::timestamptz, updated_by = $4 "
        "WHERE agent_id = $1 AND name = $2 AND state <> 'deleting'",
        {agent, name, store::pgTimestamp(now), actor});
    if (!r.ok()) {
      return r.error();
    }
    if (r->affected() == 0) {
      return false;
    }
    auto a = audit::append(
        conn, {actor, "check.delete", "agent:" + agent + "/check:" + name, "{}", "ok"}, now);
    if (!a.ok()) {
      return a.error();
    }
    return true;
  });
}

Status PgRegistryStore::recordApplied(const std::string& agent,
                                      const std::vector<AppliedCheck>& results,
                                      const std::vector<std::pair<std::string, std::int64_t>>& gone,
                                      SystemTime now) {
  return store::inTransaction(pool_, kPoolWait, [&](store::PgConnection& conn) -> Status {
    for (const auto& a : results) {
      auto r = conn.exec(
          "UPDATE api_checks SET state = $4, error = $5, "
          "applied_at = CASE WHEN $4 = 'applied' THEN $6::timestamptz ELSE applied_at END "
          "WHERE agent_id = $1 AND name = $2 AND generation = $3 AND state <> 'deleting'",
          {agent, a.name, std::to_string(a.generation), a.applied ? "applied" : "error", a.error,
           store::pgTimestamp(now)});
      if (!r.ok()) {
        return r.error();
      }
    }
    for (const auto& [name, generation] : gone) {
      auto r = conn.exec(
          "DELETE FROM api_checks WHERE agent_id = $1 AND name = $2 AND generation = $3 AND "
          "state = 'deleting'",
          {agent, name, std::to_string(generation)});
      if (!r.ok()) {
        return r.error();
      }
    }
    return okStatus();
  });
}

}  // namespace vitals::hub::registry
