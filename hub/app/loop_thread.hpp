#pragma once
// Small RAII holders the hub's application object is built from: a loop (an io_context with its
// timers) and the thread that runs it, a flag that marks the bus connection's end as our own.
#include <atomic>
#include <functional>
#include <optional>
#include <thread>

#include "common/asio/asio.hpp"
#include "common/asio/asio_timers.hpp"

namespace vitals::hub::app {

// An io_context and its timers. Declare it before the objects that schedule on it, and its
// LoopThread after them: the thread then stops before those objects go away.
class AsioLoop {
 public:
  AsioLoop() : timers_(io_) {}
  AsioLoop(const AsioLoop&) = delete;
  AsioLoop& operator=(const AsioLoop&) = delete;

  boost::asio::io_context& io() { return io_; }
  Timers& timers() { return timers_; }

 private:
  boost::asio::io_context io_;
  AsioTimers timers_;
};

// Runs an AsioLoop on its own thread from start() until destruction. The destructor runs the
// stop hook on the loop thread (so a component's stop() is called where its start() was), lets
// the loop run out of work and joins. Not started: the destructor does nothing.
class LoopThread {
 public:
  explicit LoopThread(AsioLoop& loop) : loop_(loop) {}
  ~LoopThread();
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  // `on_start` runs first on the new thread; `on_stop` at destruction, on the same thread.
  void start(std::function<void()> on_start, std::function<void()> on_stop);

 private:
  AsioLoop& loop_;
  std::function<void()> on_stop_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

// Sets a flag when destroyed. The NATS connection's callbacks read the flag, so the flag is
// declared before the connection and this guard right after it: every disconnect from then on
// (ours, at shutdown) is known to be expected and is not logged as a lost bus.
class SetOnDestruction {
 public:
  explicit SetOnDestruction(std::atomic<bool>& flag) : flag_(flag) {}
  ~SetOnDestruction() { flag_ = true; }
  SetOnDestruction(const SetOnDestruction&) = delete;
  SetOnDestruction& operator=(const SetOnDestruction&) = delete;

 private:
  std::atomic<bool>& flag_;
};

}  // namespace vitals::hub::app
