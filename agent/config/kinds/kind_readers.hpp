#pragma once
// One reader per check kind (one file each in this folder). A reader reads the kind's own keys
// from the check's mapping, reports problems on it, and stores the kind's spec in check.spec.
// The loader (config_loader.cpp) reads the keys common to every check and dispatches here.
#include <set>
#include <string>
#include <vector>

#include "agent/config/agent_config.hpp"
#include "agent/config/config_loader.hpp"
#include "common/config/yaml_reader.hpp"

namespace vitals::agent::kinds {

using ReadKind = void (*)(config::YamlReader& c, const LoadOptions& options, CheckConfig& check);

struct KindReader {
  std::string kind;
  std::set<std::string> keys;  // the kind's own keys (for "X is not valid for kind Y")
  ReadKind read;
};

// Every kind the agent knows, in documentation order.
const std::vector<KindReader>& kindReaders();
// nullptr when kind is unknown.
const KindReader* findKind(const std::string& kind);
// "http, tcp, ... or heartbeat": for messages.
std::string kindList();

void readHttp(config::YamlReader& c, const LoadOptions& options, CheckConfig& check);
void readTcp(config::YamlReader& c, const LoadOptions& options, CheckConfig& check);
void readPostgres(config::YamlReader& c, const LoadOptions& options, CheckConfig& check);
void readRedis(config::YamlReader& c, const LoadOptions& options, CheckConfig& check);
void readContainer(config::YamlReader& c, const LoadOptions& options, CheckConfig& check);
void readExec(config::YamlReader& c, const LoadOptions& options, CheckConfig& check);
void readDisk(config::YamlReader& c, const LoadOptions& options, CheckConfig& check);
void readLog(config::YamlReader& c, const LoadOptions& options, CheckConfig& check);
void readSystemd(config::YamlReader& c, const LoadOptions& options, CheckConfig& check);
void readHeartbeat(config::YamlReader& c, const LoadOptions& options, CheckConfig& check);
void readScan(config::YamlReader& c, const LoadOptions& options, CheckConfig& check);

// The level regexes used when a log check sets no `levels` (error, warn, info).
std::vector<LogPattern> defaultLogLevels();

// Shared by the readers.
// password_file / password_env; an inline `password` is refused.
SecretSource readSecret(config::YamlReader& c, const LoadOptions& options);
// A host name or IP address (no spaces or '/').
bool validHost(const std::string& host);
// Compiles as ECMAScript regex; returns the error text, or "".
std::string regexError(const std::string& pattern);
// The keys of kinds that run a program (exec, scan): argv (required; `example` is the list shown
// when it is missing), env and working_dir.
void readCommand(config::YamlReader& c, const std::string& kind, const std::string& example,
                 std::vector<std::string>& argv,
                 std::vector<std::pair<std::string, std::string>>& env, std::string& working_dir);
// One of healthy/degraded/down/unknown (as in HealthStatus); nullopt after reporting.
std::optional<HealthStatus> readStatus(config::YamlReader& c, const std::string& key,
                                       const std::set<HealthStatus>& allowed);

}  // namespace vitals::agent::kinds
