#pragma once
// Flap detection per check, Nagios-style and pure (no clock, no I/O): the last kFlapWindow run
// statuses give up to kFlapWindow - 1 possible changes; each change is weighted from 0.8 (oldest)
// to 1.2 (newest) and the weighted sum is a percentage of the full window, so a short history
// cannot look like flapping. A check starts flapping at >= high percent and stops below low
// percent (hysteresis).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/model/status.hpp"

namespace vitals::agent {

inline constexpr std::size_t kFlapWindow = 21;  // 21 results = 20 possible changes

struct FlapSettings {
  double high = 50.0;  // percent: start flapping at or above
  double low = 25.0;   // percent: stop flapping below
};

struct FlapState {
  std::vector<HealthStatus> history;  // oldest first, at most kFlapWindow entries
  double percent = 0.0;               // weighted share of changes, 0..100
  bool flapping = false;

  bool operator==(const FlapState&) const = default;
};

enum class FlapEvent { None, Started, Stopped };

struct FlapUpdate {
  FlapState state;
  FlapEvent event = FlapEvent::None;
};

// Weighted percent of changes in history (0 for fewer than two entries).
double flapPercent(const std::vector<HealthStatus>& history);

// Adds one run's status (the raw status the run saw) and re-evaluates.
FlapUpdate updateFlap(const FlapState& current, HealthStatus status, const FlapSettings& settings);

}  // namespace vitals::agent
