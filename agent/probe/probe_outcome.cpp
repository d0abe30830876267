#include "agent/probe/probe_outcome.hpp"

#include <algorithm>

namespace vitals::agent {

// Integer arithmetic only: this runs for every probe, and printf's float formatting showed up
// in bench/agent's profile.
std::string formatLatency(std::chrono::microseconds latency) {
  const long long us = std::max<long long>(latency.count(), 0);
  if (us < 1000) {
    const long long hundredths = (us + 5) / 10;  // of a millisecond, rounded half up
    std::string out = std::to_string(hundredths / 100) + ".";
    out += static_cast<char>('0' + (hundredths / 10) % 10);
    out += static_cast<char>('0' + hundredths % 10);
    return out + " ms";
  }
  if (us < 10'000'000) {
    return std::to_string(us / 1000) + " ms";
  }
  const long long tenths = (us + 50'000) / 100'000;
  std::string out = std::to_string(tenths / 10) + ".";
  out += static_cast<char>('0' + tenths % 10);
  return out + " s";
}

}  // namespace vitals::agent
