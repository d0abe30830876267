#include "hub/policy/uptime.hpp"

#include <algorithm>

namespace vitals::hub::policy {

void StatusSeconds::add(HealthStatus status, double seconds) {
  switch (status) {
    case HealthStatus::Healthy:
      healthy += seconds;
      break;
    case HealthStatus::Degraded:
      degraded += seconds;
      break;
    case HealthStatus::Down:
      down += seconds;
      break;
    case HealthStatus::Unknown:
      unknown += seconds;
      break;
  }
}

double StatusSeconds::of(HealthStatus status) const {
  switch (status) {
    case HealthStatus::Healthy:
      return healthy;
    case HealthStatus::Degraded:
      return degraded;
    case HealthStatus::Down:
      return down;
    case HealthStatus::Unknown:
      break;
  }
  return unknown;
}

StatusSeconds& StatusSeconds::operator+=(const StatusSeconds& o) {
  healthy += o.healthy;
  degraded += o.degraded;
  down += o.down;
  unknown += o.unknown;
  excluded += o.excluded;
  return *this;
}

StatusSeconds StatusSeconds::operator-(const StatusSeconds& o) const {
  StatusSeconds r = *this;
  r.healthy -= o.healthy;
  r.degraded -= o.degraded;
  r.down -= o.down;
  r.unknown -= o.unknown;
  r.excluded -= o.excluded;
  return r;
}

std::optional<double> uptimeRatio(const StatusSeconds& s, double degraded_weight) {
  // Excluded (maintenance) time is taken out of the status it was recorded in, proportionally
  // once silences exist; today it is always 0.
  const double known = s.healthy + s.degraded + s.down;
  if (known <= 0) {
    return std::nullopt;
  }
  const double up = s.healthy + degraded_weight * s.degraded;
  return std::clamp(up / known, 0.0, 1.0);
}

SystemTime hourOf(SystemTime t) { return std::chrono::floor<std::chrono::hours>(t); }

std::vector<HourPiece> splitByHour(SystemTime start, SystemTime end) {
  std::vector<HourPiece> out;
  SystemTime t = start;
  while (t < end) {
    const SystemTime hour = hourOf(t);
    const SystemTime next = std::min(end, hour + std::chrono::hours{1});
    out.push_back({hour, std::chrono::duration<double>(next - t).count()});
    t = next;
  }
  return out;
}

std::vector<RollupRow> appendRollup(const std::optional<RollupRow>& last, HealthStatus status,
                                    SystemTime start, SystemTime end) {
  std::vector<RollupRow> out;
  for (const auto& piece : splitByHour(start, end)) {
    const RollupRow* tail = !out.empty() ? &out.back() : (last ? &*last : nullptr);
    SystemTime hour = piece.hour;
    if (tail != nullptr && hour < tail->hour) {
      hour = tail->hour;  // the clock stepped back: never write behind the running totals
    }
    if (out.empty() || out.back().hour != hour) {
      if (out.empty() && last && last->hour == hour) {
        out.push_back(*last);
      } else {
        RollupRow row;
        row.hour = hour;
        row.cumulative = tail != nullptr ? tail->cumulative : StatusSeconds{};
        out.push_back(row);
      }
    }
    out.back().seconds.add(status, piece.seconds);
    out.back().cumulative.add(status, piece.seconds);
  }
  return out;
}

StatusSeconds cumulativeBefore(const std::vector<RollupRow>& rows, SystemTime hour) {
  StatusSeconds s;
  for (const auto& r : rows) {
    if (r.hour >= hour) {
      break;
    }
    s = r.cumulative;
  }
  return s;
}

StatusSeconds overlapSeconds(const std::vector<StatusSpan>& spans, std::vector<Interval> intervals,
                             SystemTime since, SystemTime until) {
  std::sort(intervals.begin(), intervals.end());
  std::vector<Interval> merged;
  for (auto [a, b] : intervals) {
    a = std::max(a, since);
    b = std::min(b, until);
    if (b <= a) {
      continue;
    }
    if (!merged.empty() && a <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, b);
    } else {
      merged.emplace_back(a, b);
    }
  }
  StatusSeconds out;
  for (const auto& s : spans) {
    for (const auto& [a, b] : merged) {
      const SystemTime from = std::max(a, s.start);
      const SystemTime to = std::min(b, s.end);
      if (to > from) {
        out.add(s.status, std::chrono::duration<double>(to - from).count());
      }
    }
  }
  return out;
}

void excludeSeconds(StatusSeconds& totals, const StatusSeconds& overlap) {
  for (auto st : {HealthStatus::Healthy, HealthStatus::Degraded, HealthStatus::Down,
                  HealthStatus::Unknown}) {
    const double moved = std::min(totals.of(st), overlap.of(st));
    totals.add(st, -moved);
    totals.excluded += moved;
  }
}

}  // namespace vitals::hub::policy
