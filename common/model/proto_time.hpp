#pragma once
// vitals.v1.Timestamp / Duration <-> std::chrono. Same arithmetic as protobuf's TimeUtil for the
// well-known types they are wire-compatible with (seconds floored, nanos in [0, 1e9)), which the
// lite runtime does not ship. Conversions to nanoseconds saturate instead of overflowing.
#include <chrono>
#include <cstdint>
#include <limits>

#include "common/time/clock.hpp"
#include "vitals/v1/common.pb.h"

namespace vitals::codec {

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range of google.protobuf.Timestamp.
inline constexpr std::int64_t kTimestampMinSeconds = -62135596800LL;
inline constexpr std::int64_t kTimestampMaxSeconds = 253402300799LL;

namespace detail {
inline constexpr std::int64_t kNanos = 1'000'000'000;

template <typename Message>
void setNanos(Message* m, std::int64_t ns) {
  std::int64_t seconds = ns / kNanos;
  std::int64_t nanos = ns % kNanos;
  if (nanos < 0) {  // floor: -1 ns is -1 s + 999999999 ns
    seconds -= 1;
    nanos += kNanos;
  }
  m->set_seconds(seconds);
  m->set_nanos(static_cast<std::int32_t>(nanos));
}

template <typename Message>
std::int64_t nanosOf(const Message& m) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max() / kNanos - 1;
  if (m.seconds() > kMax) {
    return std::numeric_limits<std::int64_t>::max();
  }
  if (m.seconds() < -kMax) {
    return std::numeric_limits<std::int64_t>::min();
  }
  return m.seconds() * kNanos + m.nanos();
}
}  // namespace detail

inline void setTime(v1::Timestamp* ts, SystemTime t) {
  detail::setNanos(
      ts, std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

inline SystemTime getTime(const v1::Timestamp& ts) {
  return SystemTime{std::chrono::duration_cast<SystemTime::duration>(
      std::chrono::nanoseconds{detail::nanosOf(ts)})};
}

template <typename D>
void setDuration(v1::Duration* d, D value) {
  detail::setNanos(d, std::chrono::duration_cast<std::chrono::nanoseconds>(value).count());
}

template <typename D>
D getDuration(const v1::Duration& d) {
  return std::chrono::duration_cast<D>(std::chrono::nanoseconds{detail::nanosOf(d)});
}

}  // namespace vitals::codec
