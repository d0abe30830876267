#pragma once
// vitalsctl's command line, parsed by a pure function (tested without a hub).
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"

namespace vitals::ctl {

inline constexpr const char* kDefaultHub = "http://127.0.0.1:8080";

enum class Output { Table, Json };
enum class Command {
  None,
  Status,
  History,
  Agents,
  AgentShow,  // agents show ID (service holds the ID)
  KeysList,
  KeysCreate,
  KeysRevoke,
  AlertsList,
  AlertsAck,
  SilencesList,
  SilencesAdd,
  SilencesExpire,
  // uptime, repairs, approvals, policies, preflight, audit: one API call (api_* below).
  Api,
};

struct CtlArgs {
  std::string hub_url = kDefaultHub;
  Output output = Output::Table;
  Command command = Command::None;
  bool help = false;
  bool version = false;
  // status: the query of GET /api/v1/services ("?status=down&q=db-*&agent=a1", or empty)
  std::string services_query;
  // history
  std::string service;
  std::optional<std::string> since;  // RFC 3339, or a duration meaning "that long ago" (1h)
  std::optional<std::string> until;
  int limit = 100;  // total rows; fetched in pages of up to 1000
  // Sent as "Authorization: Bearer" on every call: $VITALS_API_KEY, else the file named by
  // `api_key_file:` in --config FILE.
  std::string api_key;
  // keys create / keys revoke
  std::string key_name;
  std::string key_role;
  std::string key_expires;  // "" = never
  std::string key_id;
  // alerts / silences
  std::string state;          // alerts: open|resolved|all; silences: active|all ("" = default)
  std::string alert_service;  // alerts --service; silences add --service
  std::string agent = "*";    // silences add
  std::string check = "*";
  std::string duration;  // silences add (required)
  std::string comment;   // silences add (required)
  bool maintenance = false;
  std::string item_id;  // alerts ack ID, silences expire ID
  // Command::Api: the call, and the array of the answer shown as a table ("" = the object).
  std::string api_method = "GET";
  std::string api_path;
  std::optional<std::string> api_body;  // JSON text
  std::string api_list_key;
  std::vector<std::string> api_columns;  // the table's columns ("" = the first row's fields)
  // Generic options of those commands.
  std::string window;                 // uptime --window 7d|30d
  std::string status;                 // repairs --status
  std::string reason;                 // preflight override --reason
  std::string file;                   // policies set --file (a JSON policy)
  std::string actor, action, target;  // audit filters
  std::string ttl;                    // agents enroll-token --ttl (default 1h)
  std::string labels;                 // agents enroll-token --labels k=v,k2=v2
  std::string severity;               // security findings --severity
  std::string kind;                   // alerts --kind status|log_rate|agents
  std::string type;                   // jobs --type
  std::string errors_per_minute;      // logs thresholds set --errors N|none
  std::string warnings_per_minute;    // logs thresholds set --warnings N|none

  // services set: the registry's operator fields (PUT replaces them all)
  std::optional<std::string> owner, description, service_version;
  std::vector<std::string> tags, depends_on;
};

struct CtlEnvironment {
  std::function<std::optional<std::string>(const std::string&)> env;
  std::function<Result<std::string>(const std::string&)> read_file;
  static CtlEnvironment system();
};

// Errors are usage errors (exit code 2). The hub URL comes from --hub, else the `hub:` key of
// --config FILE, else $VITALS_HUB, else http://127.0.0.1:8080. The API key comes from
// $VITALS_API_KEY, else the file named by `api_key_file:` in --config FILE.
Result<CtlArgs> parseCtlArgs(const std::vector<std::string>& argv, const CtlEnvironment& env);

extern const char* const kCtlUsage;

}  // namespace vitals::ctl
