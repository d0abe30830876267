#pragma once
// Command-line values for the benchmarks that take `--flag value` pairs: the value after the
// flag at argv[i] (i moves past it), handed to the bench's usage() (which exits) when missing or
// not a number.
#include <exception>
#include <string>

namespace vitals::bench {

using Usage = void (*)(const char* why);  // [[noreturn]]

inline std::string argValue(int& i, int argc, char** argv, Usage usage) {
  if (i + 1 >= argc) {
    usage(("missing value for " + std::string(argv[i])).c_str());
  }
  return argv[++i];
}

inline long argNumber(int& i, int argc, char** argv, Usage usage) {
  const std::string flag = argv[i];
  const std::string v = argValue(i, argc, argv, usage);
  try {
    return std::stol(v);
  } catch (const std::exception&) {
    usage((flag + " wants a number, not '" + v + "'").c_str());
  }
  return 0;  // not reached: usage() exits
}

}  // namespace vitals::bench
