#pragma once
#include <spdlog/spdlog.h>

#include <memory>

namespace vitals::agent::test {

// A logger with no sinks: components log as usual, tests stay quiet. Tests assert on results
// and counters, never on log lines.
inline std::shared_ptr<spdlog::logger> quietLogger() {
  return std::make_shared<spdlog::logger>("test");
}

}  // namespace vitals::agent::test
