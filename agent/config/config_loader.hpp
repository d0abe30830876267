#pragma once
// Strict loading of the agent YAML: every problem is collected with file:line: path: message,
// and a config is returned only when there are none. The same function serves start-up and
// --check-config.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/config/agent_config.hpp"
#include "common/config/yaml_reader.hpp"
#include "common/error/result.hpp"

namespace vitals::agent {

struct LoadOptions {
  // Used for agent_id when the file has none (its first label, sanitised to a token).
  std::string hostname;
  // Whether a secret file named in the config can be read. Empty: check with access(2).
  std::function<bool(const std::string&)> readable;
};

std::optional<AgentConfig> loadAgentConfigFile(const std::string& path, const LoadOptions& options,
                                               config::Problems& problems);
std::optional<AgentConfig> parseAgentConfig(const std::string& text, const std::string& file,
                                            const LoadOptions& options, config::Problems& problems);

// One check managed through the hub's API: `text` is the JSON (or YAML) of one `checks:` item,
// read by the same reader as the file's checks, with the built-in defaults (not the file's
// `defaults:`). Only kinds http and tcp, whose targets pass the SSRF guard; restrict_targets is
// forced on with `allowlist` (the file's target_allowlist; null: none). Problems are reported
// with `origin` as the file and the key as the path ("url", "port", ...).
std::optional<CheckConfig> parseApiCheck(const std::string& text, const std::string& origin,
                                         std::shared_ptr<const net::GuardPolicy> allowlist,
                                         const LoadOptions& options, config::Problems& problems);

// Parses an http(s) URL into spec.scheme/host/port/path. Returns an error message, or "".
std::string parseHttpUrl(const std::string& url, HttpCheckSpec& spec);

// "" when listen is 127.0.0.1:PORT (or localhost:PORT); otherwise what is wrong.
std::string checkLoopbackListen(const std::string& listen);
// HOST:PORT with a port of 1-65535 (any host unless loopback_only); "" when fine.
std::string checkListen(const std::string& listen, bool loopback_only);

// agent_id default from a host name: the part before the first '.', sanitised to a token.
std::string agentIdFromHostname(const std::string& hostname);

}  // namespace vitals::agent
