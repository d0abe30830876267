#pragma once
// A MessageSource that keeps one fetch ahead: its own thread fetches and decodes the next batch
// while the ingest thread commits the current one, so the bus, the decoder and PostgreSQL work
// at the same time instead of taking turns. Messages wait un-acked for at most one commit.
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "hub/ingest/message_source.hpp"

namespace vitals::hub::ingest {

class PrefetchingSource final : public MessageSource {
 public:
  // Fetches up to `max` per round from `inner`, waiting up to `timeout` each time.
  PrefetchingSource(MessageSource& inner, int max, std::chrono::milliseconds timeout);
  ~PrefetchingSource() override;
  PrefetchingSource(const PrefetchingSource&) = delete;
  PrefetchingSource& operator=(const PrefetchingSource&) = delete;

  // The batch fetched ahead (or the inner source's error), waiting up to `timeout` for it;
  // empty when nothing arrived. `max` is fixed at construction.
  Result<MessageList> fetch(int max, std::chrono::milliseconds timeout) override;

 private:
  void run();

  MessageSource& inner_;
  const int max_;
  const std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Result<MessageList>> ready_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace vitals::hub::ingest
