#pragma once
// Readers for the top-level `actions:` and `services:` maps of the agent config, and the argv
// template syntax of actions: "{name}" is a parameter's value, "{{" and "}}" are literal braces.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/config/agent_config.hpp"
#include "common/config/yaml_reader.hpp"

namespace vitals::agent {

// Parses one argv item; nullopt with error set when a brace is unbalanced or a name is empty or
// not [A-Za-z0-9_-].
std::optional<std::vector<ArgvPiece>> parseArgvTemplate(const std::string& item,
                                                        std::string& error);

void readActions(config::YamlReader& root, std::vector<ActionConfig>& out);
void readServices(config::YamlReader& root, std::map<std::string, ServiceSettings>& out);

}  // namespace vitals::agent
