#include "agent/state/flap_detector.hpp"

namespace vitals::agent {

double flapPercent(const std::vector<HealthStatus>& history) {
  constexpr std::size_t kChanges = kFlapWindow - 1;
  // Changes are aligned to the newest end: the newest change always weighs 1.2, whatever the
  // length of the history.
  const std::size_t n = history.size();
  if (n < 2) {
    return 0.0;
  }
  double weighted = 0.0;
  for (std::size_t i = 1; i < n; ++i) {
    if (history[i] == history[i - 1]) {
      continue;
    }
    const std::size_t slot = kChanges - (n - i);  // 0 = oldest possible change, kChanges-1 newest
    weighted += 0.8 + 0.4 * static_cast<double>(slot) / static_cast<double>(kChanges - 1);
  }
  // The weights of a full window sum to kChanges (their mean is 1.0).
  return 100.0 * weighted / static_cast<double>(kChanges);
}

FlapUpdate updateFlap(const FlapState& current, HealthStatus status, const FlapSettings& settings) {
  FlapUpdate out;
  out.state = current;
  auto& history = out.state.history;
  history.push_back(status);
  if (history.size() > kFlapWindow) {
    history.erase(history.begin(), history.begin() + (history.size() - kFlapWindow));
  }
  out.state.percent = flapPercent(history);
  if (!current.flapping && out.state.percent >= settings.high) {
    out.state.flapping = true;
    out.event = FlapEvent::Started;
  } else if (current.flapping && out.state.percent < settings.low) {
    out.state.flapping = false;
    out.event = FlapEvent::Stopped;
  }
  return out;
}

}  // namespace vitals::agent
