#pragma once
#include <cstddef>
#include <memory>
#include <string>

#include "agent/runtime/work_queue.hpp"

namespace boost::asio {
class io_context;
}
namespace spdlog {
class logger;
}

namespace vitals::agent {

// A WorkQueue on a boost::asio::thread_pool of `threads` workers, started by the first run();
// continuations are posted to the loop io_context. Work handed over after join() never runs. With one thread, work runs in submission order (the publisher relies on
// this). Exceptions from work or continuations are caught and logged, never propagated.
class AsioWorkQueue final : public WorkQueue {
 public:
  AsioWorkQueue(boost::asio::io_context& loop, std::size_t threads, std::string name,
                std::shared_ptr<spdlog::logger> logger);
  ~AsioWorkQueue() override;  // join()
  AsioWorkQueue(const AsioWorkQueue&) = delete;
  AsioWorkQueue& operator=(const AsioWorkQueue&) = delete;

  void run(std::function<void()> work, std::function<void()> then) override;
  // Waits for queued and running work; continuations not yet run on the loop are dropped if the
  // loop no longer runs. Idempotent.
  void join();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitals::agent
