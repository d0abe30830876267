#pragma once
// Durations as people write them in configs, flags and API bodies: "250ms", "30s", "5m", "1h",
// "7d", combined as "1m30s". Pure and yaml-free, so code that only needs durations does not
// pull in the YAML reader.
#include <chrono>
#include <optional>
#include <string>

namespace vitals {

// Parses "250ms", "30s", "5m", "1h", "7d" (also combined: "1m30s"). Bare numbers are refused:
// "interval: 30" is too easy to misread.
std::optional<std::chrono::milliseconds> parseDuration(const std::string& text);
// The largest whole unit: 90000ms -> "90s", 3600000ms -> "1h", 1500ms -> "1500ms".
std::string formatDuration(std::chrono::milliseconds d);

}  // namespace vitals
