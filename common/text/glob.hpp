#pragma once
// The one glob matcher of vitals: '*' (any run, also empty) and '?' (one character); every
// other character matches itself. Used by silences, event rules and stream filters.
#include <cstddef>
#include <string_view>

namespace vitals::text {

// Iterative, with one backtrack point (the last '*'): linear for the short patterns we see.
inline bool globMatch(std::string_view pattern, std::string_view text) {
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

}  // namespace vitals::text
