#pragma once
// The last lines of a log file (the `logs` command). Blocking file I/O: run it off the loop.
#include <cstddef>
#include <string>
#include <vector>

#include "common/error/result.hpp"

namespace vitals::agent {

struct TailResult {
  std::vector<std::string> lines;  // oldest first, without '\n'
  bool truncated = false;          // fewer lines than asked because of max_bytes
};

// Reads backwards from the end until `lines` complete lines are found, the file starts, or
// max_bytes were read; a last line without '\n' counts. Bytes that are not UTF-8 become '?'.
Result<TailResult> tailFile(const std::string& path, std::size_t lines, std::size_t max_bytes);

// Invalid UTF-8 sequences (and NUL) replaced by '?': proto3 strings must be UTF-8.
std::string sanitizeUtf8(const std::string& text);

}  // namespace vitals::agent
