#pragma once
// The only place that names system/steady clocks. Everything else gets time through these
// interfaces so tests can run on a ManualTime.
#include <chrono>
#include <cstdint>
#include <functional>

namespace vitals {

using SystemTime = std::chrono::system_clock::time_point;
using SteadyTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SystemTime now() const = 0;           // wall clock, for timestamps
  virtual SteadyTime steadyNow() const = 0;     // monotonic, for intervals and deadlines
};

using TimerId = std::uint64_t;

// Schedules callbacks on the owner's event loop. Callbacks run on that loop's thread, never
// inside schedule(). cancel() of a fired or unknown id is a no-op.
class Timers {
 public:
  virtual ~Timers() = default;
  virtual TimerId scheduleAt(SteadyTime when, std::function<void()> fn) = 0;
  virtual void cancel(TimerId id) = 0;
  TimerId scheduleAfter(SteadyTime now, std::chrono::nanoseconds delay, std::function<void()> fn) {
    return scheduleAt(now + delay, std::move(fn));
  }
};

class SystemClock final : public Clock {
 public:
  SystemTime now() const override { return std::chrono::system_clock::now(); }
  SteadyTime steadyNow() const override { return std::chrono::steady_clock::now(); }
};

// RFC 3339 with millisecond precision, UTC ("2026-11-21T20:49:50.123Z").
std::string formatRfc3339(SystemTime t);
// Parses RFC 3339 / ISO 8601 ("2026-11-21T20:49:50Z", fractional seconds and offsets allowed).
bool parseRfc3339(const std::string& text, SystemTime& out);

}  // namespace vitals
