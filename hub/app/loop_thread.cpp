#include "hub/app/loop_thread.hpp"

namespace vitals::hub::app {

void LoopThread::start(std::function<void()> on_start, std::function<void()> on_stop) {
  on_stop_ = std::move(on_stop);
  work_.emplace(boost::asio::make_work_guard(loop_.io()));
  boost::asio::post(loop_.io(), std::move(on_start));
  thread_ = std::thread([this] { loop_.io().run(); });
}

LoopThread::~LoopThread() {
  if (!thread_.joinable()) {
    return;
  }
  if (on_stop_) {
    boost::asio::post(loop_.io(), std::move(on_stop_));
  }
  work_.reset();
  thread_.join();  // after the run in progress
}

}  // namespace vitals::hub::app
