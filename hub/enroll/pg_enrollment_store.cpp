#include "hub/enroll/pg_enrollment_store.hpp"

#include <nlohmann/json.hpp>

#include "hub/audit/audit_log.hpp"

namespace vitals::hub::enroll {
namespace {

using namespace std::chrono_literals;
constexpr auto kPoolWait = 5s;

constexpr const char* kTokenColumns =
    "id, prefix, hash, labels::text, creator, " VITALS_EPOCH_US("created_at") ", " VITALS_EPOCH_US(
        "expires_at") ", " VITALS_EPOCH_US("used_at") ", COALESCE(used_by, '')";

constexpr const char* kAgentColumns =
    "agent_id, nkey, hostname, labels::text, token_id, " VITALS_EPOCH_US(
        "enrolled_at") ", " VITALS_EPOCH_US("revoked_at") ", COALESCE(revoked_by, '')";

std::map<std::string, std::string> labelsFrom(std::string_view text) {
  std::map<std::string, std::string> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      out[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
  }
  return out;
}

std::string labelsJson(const std::map<std::string, std::string>& labels) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : labels) {
    j[k] = v;
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<TokenRecord> tokens(const store::PgResult& r) {
  std::vector<TokenRecord> out;
  for (int i = 0; i < r.rows(); ++i) {
    TokenRecord t;
    t.id = r.int64(i, 0);
    t.prefix = r.str(i, 1);
    t.hash = r.str(i, 2);
    t.labels = labelsFrom(r.get(i, 3));
    t.creator = r.str(i, 4);
    t.created_at = store::fromEpochMicros(r.get(i, 5));
    t.expires_at = store::fromEpochMicros(r.get(i, 6));
    t.used_at = r.epochTime(i, 7);
    t.used_by = r.str(i, 8);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<EnrolledAgent> enrolled(const store::PgResult& r) {
  std::vector<EnrolledAgent> out;
  for (int i = 0; i < r.rows(); ++i) {
    EnrolledAgent a;
    a.agent_id = r.str(i, 0);
    a.nkey = r.str(i, 1);
    a.hostname = r.str(i, 2);
    a.labels = labelsFrom(r.get(i, 3));
    a.token_id = r.int64(i, 4);
    a.enrolled_at = store::fromEpochMicros(r.get(i, 5));
    a.revoked_at = r.epochTime(i, 6);
    a.revoked_by = r.str(i, 7);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

Result<TokenRecord> PgEnrollmentStore::insertToken(const NewToken& t, SystemTime now) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(
      std::string("INSERT INTO enrollment_tokens (prefix, hash, labels, creator, created_at, "
                  "expires_at) VALUES ($1, $2, $3::jsonb, $4, $5::timestamptz, $6::timestamptz) "
                  "RETURNING ") +
          kTokenColumns,
      {t.prefix, t.hash, labelsJson(t.labels), t.creator, store::pgTimestamp(now),
       store::pgTimestamp(t.expires_at)});
  if (!r.ok()) {
    return r.error();
  }
  auto rows = tokens(r.value());
  if (rows.empty()) {
    return Error{"db.data", "the token insert returned no row", {}};
  }
  return rows.front();
}

Result<std::vector<TokenRecord>> PgEnrollmentStore::listTokens() {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(std::string("SELECT ") + kTokenColumns +
                              " FROM enrollment_tokens ORDER BY id DESC LIMIT 1000");
  if (!r.ok()) {
    return r.error();
  }
  return tokens(r.value());
}

Result<EnrolledAgent> PgEnrollmentStore::enroll(const EnrollRequest& req, SystemTime now) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto& conn = lease->conn();
  return store::inTransaction(conn, [&]() -> Result<EnrolledAgent> {
    auto found = conn.exec(std::string("SELECT ") + kTokenColumns +
                               " FROM enrollment_tokens WHERE hash = $1 FOR UPDATE",
                           {req.token_hash});
    if (!found.ok()) {
      return found.error();
    }
    auto rows = tokens(found.value());
    std::optional<TokenRecord> token;
    if (!rows.empty()) {
      token = rows.front();
    }
    if (auto verdict = judgeToken(token, now); !verdict.ok()) {
      return verdict.error();
    }
    auto exists = conn.exec(
        "SELECT (SELECT count(*) FROM enrolled_agents WHERE agent_id = $1) + "
        "(SELECT count(*) FROM agents WHERE agent_id = $1), "
        "(SELECT count(*) FROM enrolled_agents WHERE nkey = $2)",
        {req.agent_id, req.nkey});
    if (!exists.ok()) {
      return exists.error();
    }
    if (exists->int64(0, 0) > 0) {
      return Error{"enroll.agent_exists",
                   "an agent with id \"" + req.agent_id +
                       "\" is already enrolled or reports to this hub; choose another id (the "
                       "token is still valid)",
                   {}};
    }
    if (exists->int64(0, 1) > 0) {
      return Error{"enroll.nkey_exists",
                   "this NKEY public key belongs to another agent; make a new key pair",
                   {}};
    }
    auto spent = conn.exec(
        "UPDATE enrollment_tokens SET used_at = $2::timestamptz, used_by = $3 WHERE id = $1",
        {std::to_string(token->id), store::pgTimestamp(now), req.agent_id});
    if (!spent.ok()) {
      return spent.error();
    }
    auto inserted = conn.exec(
        std::string("INSERT INTO enrolled_agents (agent_id, nkey, hostname, labels, token_id, "
                    "enrolled_at) VALUES ($1, $2, $3, $4::jsonb, $5, $6::timestamptz) "
                    "RETURNING ") +
            kAgentColumns,
        {req.agent_id, req.nkey, req.hostname, labelsJson(token->labels), std::to_string(token->id),
         store::pgTimestamp(now)});
    if (!inserted.ok()) {
      return inserted.error();
    }
    audit::AuditEntry entry;
    entry.actor = "token:" + std::to_string(token->id);
    entry.action = "agent.enroll";
    entry.target = "agent:" + req.agent_id;
    entry.parameters_json = nlohmann::json{
        {"token", token->prefix},
        {"nkey", req.nkey},
        {"hostname", req.hostname},
        {"token_creator",
         token->creator}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (auto a = audit::append(conn, entry, now); !a.ok()) {
      return a.error();
    }
    return enrolled(inserted.value()).front();
  });
}

Result<EnrolledAgent> PgEnrollmentStore::revoke(const std::string& agent_id,
                                                const std::string& actor, SystemTime now) {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto& conn = lease->conn();
  return store::inTransaction(conn, [&]() -> Result<EnrolledAgent> {
    auto r = conn.exec(std::string("UPDATE enrolled_agents SET revoked_at = COALESCE(revoked_at, "
                                   "$2::timestamptz), revoked_by = COALESCE(revoked_by, $3) "
                                   "WHERE agent_id = $1 RETURNING ") +
                           kAgentColumns,
                       {agent_id, store::pgTimestamp(now), actor});
    if (!r.ok()) {
      return r.error();
    }
    auto rows = enrolled(r.value());
    if (rows.empty()) {
      return Error{"enroll.no_such_agent", "no enrolled agent with id \"" + agent_id + "\"", {}};
    }
    audit::AuditEntry entry;
    entry.actor = actor;
    entry.action = "agent.revoke";
    entry.target = "agent:" + agent_id;
    entry.parameters_json = nlohmann::json{{"nkey", rows.front().nkey}}.dump();
    if (auto a = audit::append(conn, entry, now); !a.ok()) {
      return a.error();
    }
    return rows.front();
  });
}

Result<std::vector<EnrolledAgent>> PgEnrollmentStore::agents() {
  auto lease = pool_.acquire(kPoolWait);
  if (!lease.ok()) {
    return lease.error();
  }
  auto r = lease->conn().exec(std::string("SELECT ") + kAgentColumns +
                              " FROM enrolled_agents ORDER BY agent_id");
  if (!r.ok()) {
    return r.error();
  }
  return enrolled(r.value());
}

}  // namespace vitals::hub::enroll
