#pragma once
// ASCII case-insensitive comparison, for protocol tokens (HTTP header names, "Bearer").
#include <string_view>

namespace vitals::text {

constexpr char asciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

constexpr bool equalsAsciiNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != asciiLower(b[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace vitals::text
