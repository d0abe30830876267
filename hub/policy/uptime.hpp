#pragma once
// Uptime arithmetic: seconds per status, the uptime ratio, and the hourly rollups (pure).
//
// uptime = (healthy + degraded_weight x degraded) / (healthy + degraded + down)
// UNKNOWN time (no data, agent unreachable, before the first result) is left out of the
// denominator: we do not claim the service was up or down when we could not see it. A window
// with no known time has no uptime (null). Maintenance time (silences, later) will be left out
// the same way: see StatusSeconds::excluded.
#include <chrono>
#include <optional>
#include <vector>

#include "common/model/status.hpp"
#include "common/time/clock.hpp"

namespace vitals::hub::policy {

struct StatusSeconds {
  double healthy = 0;
  double degraded = 0;
  double down = 0;
  double unknown = 0;
  // Seam for maintenance windows: time to leave out of the ratio whatever its status. Nothing
  // fills it yet.
  double excluded = 0;

  void add(HealthStatus status, double seconds);
  double of(HealthStatus status) const;
  StatusSeconds& operator+=(const StatusSeconds& o);
  StatusSeconds operator-(const StatusSeconds& o) const;
  double total() const { return healthy + degraded + down + unknown; }
};

// nullopt when no healthy, degraded or down time was seen.
std::optional<double> uptimeRatio(const StatusSeconds& s, double degraded_weight);

// The start of the UTC hour holding t.
SystemTime hourOf(SystemTime t);

struct HourPiece {
  SystemTime hour{};
  double seconds = 0;
  bool operator==(const HourPiece&) const = default;
};
// [start, end) cut at hour boundaries; empty when end <= start.
std::vector<HourPiece> splitByHour(SystemTime start, SystemTime end);

// One row of uptime_hourly: the seconds per status within `hour`, and the running totals of the
// service from its first row up to and including this hour. Running totals make any window a
// difference of two rows (fast for 10,000 services), and they only grow at the end because
// transitions are stamped with the hub clock, which only moves forward.
struct RollupRow {
  SystemTime hour{};
  StatusSeconds seconds;
  StatusSeconds cumulative;
};

// Adds [start, end) in `status` after `last` (the service's newest row, if any). Returns the rows
// to upsert, in hour order; the first has the same hour as `last` when the time continues it.
// Pieces before last->hour (a clock that stepped back) are counted in last->hour.
std::vector<RollupRow> appendRollup(const std::optional<RollupRow>& last, HealthStatus status,
                                    SystemTime start, SystemTime end);

// The running totals at the end of the hour before `hour`: from the newest row strictly before it.
// rows: one service's rows in hour order.
StatusSeconds cumulativeBefore(const std::vector<RollupRow>& rows, SystemTime hour);

// Maintenance: the part of a service's status windows that falls inside maintenance intervals
// (overlapping intervals count once), clipped to [since, until). The caller moves these seconds
// out of the per-status totals into `excluded`.
struct StatusSpan {
  HealthStatus status = HealthStatus::Unknown;
  SystemTime start{};
  SystemTime end{};
};
using Interval = std::pair<SystemTime, SystemTime>;
StatusSeconds overlapSeconds(const std::vector<StatusSpan>& spans, std::vector<Interval> intervals,
                             SystemTime since, SystemTime until);
// Moves `overlap` from the statuses into excluded (never below zero).
void excludeSeconds(StatusSeconds& totals, const StatusSeconds& overlap);

}  // namespace vitals::hub::policy
