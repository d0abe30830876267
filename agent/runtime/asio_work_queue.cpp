#include "agent/runtime/asio_work_queue.hpp"

#include <spdlog/spdlog.h>

#include "common/asio/asio.hpp"

namespace vitals::agent {

struct AsioWorkQueue::Impl {
  Impl(boost::asio::io_context& l, std::size_t threads, std::string n,
       std::shared_ptr<spdlog::logger> lg)
      : loop(l), pool(threads), name(std::move(n)), logger(std::move(lg)) {}
  boost::asio::io_context& loop;
  boost::asio::thread_pool pool;
  std::string name;
  std::shared_ptr<spdlog::logger> logger;
  bool joined = false;
};

AsioWorkQueue::AsioWorkQueue(boost::asio::io_context& loop, std::size_t threads, std::string name,
                             std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<Impl>(loop, threads == 0 ? 1 : threads, std::move(name),
                                   std::move(logger))) {}

AsioWorkQueue::~AsioWorkQueue() { join(); }

void AsioWorkQueue::join() {
  if (!impl_->joined) {
    impl_->joined = true;
    impl_->pool.join();
  }
}

void AsioWorkQueue::run(std::function<void()> work, std::function<void()> then) {
  Impl* impl = impl_.get();
  boost::asio::post(impl->pool, [impl, work = std::move(work), then = std::move(then)]() mutable {
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
