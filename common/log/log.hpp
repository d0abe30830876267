#pragma once
// Logging: human-readable lines on a terminal, JSON lines otherwise (for journald/collectors).
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace vitals::log {

enum class Format { Auto, Text, Json };

struct LogOptions {
  std::string level = "info";  // trace|debug|info|warn|error|critical|off
  Format format = Format::Auto;
};

// A logger writing to stderr. Auto picks Text when stderr is a terminal.
std::shared_ptr<spdlog::logger> makeLogger(const std::string& name, const LogOptions& options);
bool parseLevel(const std::string& text, spdlog::level::level_enum& out);
// Escapes a string for embedding in a JSON log line (used by the JSON pattern's %v).
std::string jsonEscape(const std::string& text);

}  // namespace vitals::log
