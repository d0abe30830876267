#include "common/config/config_sources.hpp"

#include <cstdlib>

#include "common/config/secret_file.hpp"

namespace vitals::config {

ConfigSources ConfigSources::system() {
  ConfigSources s;
  s.env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) {
      return std::nullopt;
    }
    return std::string(v);
  };
  s.read_file = [](const std::string& path) { return readTextFile(path); };
  return s;
}

}  // namespace vitals::config
