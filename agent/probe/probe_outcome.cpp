#include "agent/probe/probe_outcome.hpp"

#include <cstdio>

namespace vitals::agent {

std::string formatLatency(std::chrono::microseconds latency) {
  const auto us = latency.count();
  char buf[32];
  if (us < 1000) {
    std::snprintf(buf, sizeof buf, "%.2f ms", static_cast<double>(us) / 1000.0);
  } else if (us < 10'000'000) {
    std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(us / 1000));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(us) / 1e6);
  }
  return buf;
}

}  // namespace vitals::agent
