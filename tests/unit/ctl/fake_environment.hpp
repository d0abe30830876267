#pragma once
// A CtlEnvironment over in-memory maps: environment variables and readable files.
#include <map>
#include <optional>
#include <string>

#include "ctl/ctl_args.hpp"

namespace vitals::test {

inline ctl::CtlEnvironment fakeEnv(std::map<std::string, std::string> vars = {},
                                   std::map<std::string, std::string> files = {}) {
  ctl::CtlEnvironment e;
  e.env = [vars](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  e.read_file = [files](const std::string& p) -> Result<std::string> {
    auto it = files.find(p);
    if (it == files.end()) {
      return Error{"io", "no such file or not readable", p};
    }
    return it->second;
  };
  return e;
}

}  // namespace vitals::test
