#pragma once
// A MessageSource that gathers ahead: its own thread fetches and decodes messages while the
// ingest thread commits the previous batch, so the bus, the decoder and PostgreSQL work at the
// same time instead of taking turns. Batches are cut by size and by time (BatchGatherer): a
// batch is handed over once `max` messages are gathered, or `max_delay` after its first message
// arrived, whichever comes first. While nothing is gathered the thread waits for a single
// message (so one result on a quiet stream is not held back waiting for a full batch); once
// something is gathered it takes whatever else is already there.
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "common/time/clock.hpp"
#include "hub/ingest/batch_gatherer.hpp"
#include "hub/ingest/message_source.hpp"

namespace vitals::hub::ingest {

struct PrefetchOptions {
  int max = 500;                                 // messages per batch
  std::chrono::milliseconds fetch_timeout{500};  // longest single wait on the inner source
  std::chrono::milliseconds max_delay{2};        // longest a gathered message waits for more
};

class PrefetchingSource final : public MessageSource {
 public:
  PrefetchingSource(MessageSource& inner, const Clock& clock, PrefetchOptions options);
  ~PrefetchingSource() override;
  PrefetchingSource(const PrefetchingSource&) = delete;
  PrefetchingSource& operator=(const PrefetchingSource&) = delete;

  // The next due batch (or the inner source's error once the gathered messages are handed
  // over), waiting up to `timeout`; empty when nothing became due. `max` is fixed at
  // construction.
  Result<MessageList> fetch(int max, std::chrono::milliseconds timeout) override;

 private:
  void run();

  MessageSource& inner_;
  const Clock& clock_;
  const PrefetchOptions options_;
  const std::chrono::milliseconds poll_;  // wait for more while a batch is gathering
  std::mutex mu_;
  std::condition_variable cv_;
  BatchGatherer gathered_;
  std::optional<Error> error_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace vitals::hub::ingest
