#pragma once
// Gathers fetched messages into one batch (one database transaction) and decides when the batch
// is due: as soon as `max` messages are there, or `max_delay` after the first of them arrived.
// A quiet stream thus commits a lone result within max_delay, and a busy one fills its batches.
// Not thread-safe: PrefetchingSource uses it under its lock. Pure timing logic, so it is tested
// with ManualTime.
#include <chrono>
#include <cstddef>
#include <optional>

#include "common/time/clock.hpp"
#include "hub/ingest/message_source.hpp"

namespace vitals::hub::ingest {

class BatchGatherer {
 public:
  BatchGatherer(int max, std::chrono::milliseconds max_delay);

  // Adds what one fetch brought; `now` opens the window when the batch was empty.
  void add(MessageList messages, SteadyTime now);
  std::size_t size() const { return batch_.size(); }
  bool empty() const { return batch_.empty(); }
  // How many more messages fit (0 when full).
  int room() const;
  // When the gathered messages become a batch; nullopt while empty.
  std::optional<SteadyTime> dueAt() const;
  bool due(SteadyTime now) const;
  // Hands the batch over and starts afresh.
  MessageList take();

 private:
  const int max_;
  const std::chrono::milliseconds max_delay_;
  MessageList batch_;
  SteadyTime first_{};
};

}  // namespace vitals::hub::ingest
