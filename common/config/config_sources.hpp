#pragma once
// Where a config loader reads environment variables and the files a config names (secrets,
// rules, certificates); injected so tests need neither env nor files.
#include <functional>
#include <optional>
#include <string>

#include "common/error/result.hpp"

namespace vitals::config {

struct ConfigSources {
  std::function<std::optional<std::string>(const std::string& name)> env;
  std::function<Result<std::string>(const std::string& path)> read_file;
  // The process environment and the real file system (readTextFile).
  static ConfigSources system();
};

}  // namespace vitals::config
