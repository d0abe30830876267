#pragma once
// The audit trail's write side. Every mutating API call and every policy decision that acts on
// a host appends one row, in the same transaction as the change it records where there is one
// (so a change without its audit row cannot commit). Append-only by construction: there is no
// update or delete here, and the schema's triggers refuse them.
#include <chrono>
#include <string>

#include "common/error/result.hpp"
#include "hub/store/pg_connection.hpp"

namespace vitals::hub::audit {

struct AuditEntry {
  // "key:<key id>" for API callers, "policy" for automatic decisions, "system" for the hub
  // itself, "agent:<id>" for agent-originated facts.
  std::string actor;
  // Dotted verb, e.g. "silence.create", "alert.ack", "repair.execute", "key.revoke".
  std::string action;
  // What was acted on, e.g. "service:web", "agent:node-1", "key:7"; empty when nothing.
  std::string target;
  // A JSON object text with the call's parameters (never secrets).
  std::string parameters_json = "{}";
  // "ok", "denied", "error", "dry-run", "pending", ... (free text, short).
  std::string outcome = "ok";
};

// Appends one row on conn, inside the caller's transaction when one is open. Returns the row id.
Result<std::int64_t> append(store::PgConnection& conn, const AuditEntry& entry,
                            std::chrono::system_clock::time_point at);

}  // namespace vitals::hub::audit
