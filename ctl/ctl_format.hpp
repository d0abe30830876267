#pragma once
// Plain-text tables from the hub's JSON (pure, tested with fixture documents).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vitals::ctl {

// "850us", "12.3ms", "1.25s"; "-" for null.
std::string formatLatency(const nlohmann::json& latency_ms);
// "4s", "3m", "2h", "5d"; "-" for null.
std::string formatAge(const nlohmann::json& age_seconds);

// Columns padded to the widest cell, two spaces apart; trailing spaces trimmed.
std::string renderTable(const std::vector<std::vector<std::string>>& rows);

// GET /api/v1/services body -> SERVICE STATUS LATENCY AGE, each check indented below its
// service with its agent and message.
std::string formatStatus(const nlohmann::json& body);
// History results (array) -> TIME CHECK AGENT STATUS LATENCY MESSAGE.
// with_service: a SERVICE column (history across services).
std::string formatHistory(const nlohmann::json& results, bool with_service = false);
// GET /api/v1/agents body -> AGENT HOST VERSION LAST SEEN CHECKS STATE.
std::string formatAgents(const nlohmann::json& body);
// GET /api/v1/agents/{id}: a header line, the actions (controller inventory), the checks.
std::string formatAgent(const nlohmann::json& agent);
// GET /api/v1/keys -> ID NAME ROLE PREFIX STATE CREATOR LAST USED EXPIRES.
std::string formatKeys(const nlohmann::json& body);
std::string formatAlerts(const nlohmann::json& body);
std::string formatSilences(const nlohmann::json& body);
// Any API answer: its scalar fields, and the array `list_key` (if any) as a table.
std::string formatGeneric(const nlohmann::json& body, const std::string& list_key,
                          const std::vector<std::string>& columns = {});

}  // namespace vitals::ctl
