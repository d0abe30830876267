#pragma once
// Pure: a configured action plus request parameters -> the argv to run. Every declared parameter
// is required and must match its pattern as a whole; undeclared ones are refused. Values are
// placed into argv items as text: no shell ever sees them.
#include <map>
#include <string>
#include <vector>

#include "agent/config/agent_config.hpp"
#include "common/error/result.hpp"

namespace vitals::agent {

// Error code "action.param" with a message naming the parameter.
Result<std::vector<std::string>> buildArgv(const ActionConfig& action,
                                           const std::map<std::string, std::string>& params);

}  // namespace vitals::agent
