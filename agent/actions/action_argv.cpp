#include "agent/actions/action_argv.hpp"

#include <algorithm>
#include <regex>

namespace vitals::agent {
namespace {

constexpr std::size_t kMaxParamLength = 1024;

Error paramError(std::string message) { return Error{"action.param", std::move(message), {}}; }

}  // namespace

Result<std::vector<std::string>> buildArgv(const ActionConfig& action,
                                           const std::map<std::string, std::string>& params) {
  for (const auto& [name, value] : params) {
    (void)value;
    const bool declared = std::any_of(action.params.begin(), action.params.end(),
                                      [&](const ActionParam& p) { return p.name == name; });
    if (!declared) {
      return paramError("unknown parameter \"" + name + "\" for action " + action.name);
    }
  }
  for (const auto& p : action.params) {
    auto it = params.find(p.name);
    if (it == params.end()) {
      return paramError("missing parameter \"" + p.name + "\" for action " + action.name);
    }
    const std::string& value = it->second;
    bool ok = value.size() <= kMaxParamLength && value.find('\0') == std::string::npos;
    if (ok) {
      try {
        ok = std::regex_match(value, std::regex(p.pattern, std::regex::ECMAScript));
      } catch (const std::regex_error&) {
        ok = false;  // validated at load; a pathological match counts as no match
      }
    }
    if (!ok) {
      return paramError("parameter \"" + p.name + "\" does not match " + p.pattern);
    }
  }
  std::vector<std::string> argv;
  argv.reserve(action.argv_template.size());
  for (const auto& pieces : action.argv_template) {
    std::string item;
    for (const auto& piece : pieces) {
      item += piece.is_param ? params.at(piece.text) : piece.text;
    }
    argv.push_back(std::move(item));
  }
  return argv;
}

}  // namespace vitals::agent
