#pragma once
// Shared by the PgRepairStore files: the column lists, row decoding, JSON text of columns and
// audit parameters, and the output cap. Internal to hub/repair.
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hub/repair/repair_store.hpp"
#include "hub/store/pg_connection.hpp"

namespace vitals::hub::repair::pgrows {

// Serialises the rate-limit count of executions across hubs (transaction-scoped).
inline constexpr const char* kRateLockKey = "7310006";
extern const char* const kRecordColumns;
extern const char* const kPolicyColumns;

std::optional<SystemTime> timeAt(const store::PgResult& r, int row, int col);
std::string interval(std::chrono::milliseconds d);
std::string reasonsJson(const std::vector<std::string>& reasons);
std::string paramsJson(const std::map<std::string, std::string>& params);
std::string actionsJson(const RepairPolicy& p);
// Untrusted output in a text column: valid within PostgreSQL (no NUL), capped.
std::string capped(const std::string& text, std::size_t max, bool& truncated);
RepairRecord recordAt(const store::PgResult& r, int i);
RepairPolicy policyAt(const store::PgResult& r, int i);
nlohmann::json auditParams(std::int64_t id, const NewRepair& n, const std::string& request_id = "");
std::string dump(const nlohmann::json& j);
std::string target(const std::string& agent, const std::string& action);

}  // namespace vitals::hub::repair::pgrows
