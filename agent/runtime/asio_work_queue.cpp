#include "agent/runtime/asio_work_queue.hpp"

#include <spdlog/spdlog.h>

#include <mutex>
#include <optional>

#include "common/asio/asio.hpp"

namespace vitals::agent {

struct AsioWorkQueue::Impl {
  Impl(boost::asio::io_context& l, std::size_t threads, std::string n,
       std::shared_ptr<spdlog::logger> lg)
      : loop(l), threads(threads), name(std::move(n)), logger(std::move(lg)) {}
  // The workers start with the first work item: an agent without blocking checks or actions
  // never starts those pools' threads.
  boost::asio::thread_pool* started() {
    std::lock_guard lock(mu);
    if (joined) {
      return nullptr;
    }
    if (!pool) {
      pool.emplace(threads);
    }
    return &*pool;
  }
  boost::asio::io_context& loop;
  std::size_t threads;
  std::string name;
  std::shared_ptr<spdlog::logger> logger;
  std::mutex mu;
  std::optional<boost::asio::thread_pool> pool;
  bool joined = false;
};

AsioWorkQueue::AsioWorkQueue(boost::asio::io_context& loop, std::size_t threads, std::string name,
                             std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<Impl>(loop, threads == 0 ? 1 : threads, std::move(name),
                                   std::move(logger))) {}

AsioWorkQueue::~AsioWorkQueue() { join(); }

void AsioWorkQueue::join() {
  boost::asio::thread_pool* pool = nullptr;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->joined) {
      return;
    }
    impl_->joined = true;
    pool = impl_->pool ? &*impl_->pool : nullptr;
  }
  if (pool != nullptr) {
    pool->join();
  }
}

void AsioWorkQueue::run(std::function<void()> work, std::function<void()> then) {
  Impl* impl = impl_.get();
  boost::asio::thread_pool* pool = impl->started();
  if (pool == nullptr) {
    return;  // joined: as with a stopped pool, the work never runs
  }
  boost::asio::post(*pool, [impl, work = std::move(work), then = std::move(then)]() mutable {
    try {
      work();
    } catch (const std::exception& e) {
      impl->logger->error("{}: work item threw: {}", impl->name, e.what());
    } catch (...) {
      impl->logger->error("{}: work item threw", impl->name);
    }
    boost::asio::post(impl->loop, [impl, then = std::move(then)] {
      try {
        then();
      } catch (const std::exception& e) {
        impl->logger->error("{}: continuation threw: {}", impl->name, e.what());
      } catch (...) {
        impl->logger->error("{}: continuation threw", impl->name);
      }
    });
  });
}

}  // namespace vitals::agent
