#pragma once
// Shared by the config fuzz targets: a loader returns a config or problems, never both and never
// neither, and every problem names its file (the config, or a file it includes from under
// included_dir, e.g. the hub's events.rules_file) and formats as "file:line: ...".
#include <optional>
#include <string>

#include "common/config/yaml_reader.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace vitals::fuzz {

template <typename Config>
void checkConfigOutcome(const std::optional<Config>& config, const config::Problems& problems,
                        const std::string& file, const std::string& included_dir = {}) {
  FUZZ_CHECK(config.has_value() != !problems.empty(), "a config or problems, never both/neither");
  for (const auto& p : problems.list()) {
    FUZZ_CHECK(p.file == file || (!included_dir.empty() && p.file.rfind(included_dir, 0) == 0),
               "a problem names the config file or a file it includes");
    FUZZ_CHECK(p.format().rfind(p.file + ":", 0) == 0, "a problem formats as file:line: ...");
    FUZZ_CHECK(p.line >= 0, "a problem's line is not negative");
    FUZZ_CHECK(!p.message.empty(), "a problem says what is wrong");
  }
}

}  // namespace vitals::fuzz
