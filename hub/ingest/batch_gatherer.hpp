#pragma once
// Gathers fetched messages into one batch (one database transaction) and decides when the batch
// is due: as soon as `max` messages are there; or `max_delay` after the first of them arrived
// once a fetch came back empty (the stream is caught up); or, while messages keep coming, at the
// latest kMaxOpen (or max_delay if longer) after the first. A quiet stream thus commits a lone
// result within about max_delay, and a backlog fills whole batches.
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

  // How long a batch stays open at most while messages keep arriving.
  static constexpr std::chrono::milliseconds kMaxOpen{50};

  // Adds what one fetch brought; `now` opens the window when the batch was empty. An empty
  // fetch marks the stream caught up; messages mark it busy again.
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
  bool caught_up_ = false;
};

}  // namespace vitals::hub::ingest
