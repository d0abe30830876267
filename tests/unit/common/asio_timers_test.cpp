// AsioTimers on a real io_context. Every timer here is due already (or never), so the tests run
// the loop until it is out of work instead of sleeping.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "common/asio/asio_timers.hpp"

namespace vitals {
namespace {

using std::chrono::milliseconds;

SteadyTime past(int ms_ago) { return std::chrono::steady_clock::now() - milliseconds(ms_ago); }
// Far enough never to be reached by a test.
SteadyTime inAnHour(int ms_earlier = 0) {
  return std::chrono::steady_clock::now() + std::chrono::hours(1) - milliseconds(ms_earlier);
}

TEST_CASE("due timers run earliest first, and in scheduling order at equal times",
          "[common][unit][timers]") {
  boost::asio::io_context io;
  AsioTimers timers(io);
  std::vector<std::string> ran;
  const SteadyTime t = past(50);
  timers.scheduleAt(t, [&] { ran.push_back("b1"); });
  timers.scheduleAt(past(100), [&] { ran.push_back("a"); });
  timers.scheduleAt(t, [&] { ran.push_back("b2"); });
  timers.scheduleAt(past(10), [&] { ran.push_back("c"); });
  io.run();
  CHECK(ran == std::vector<std::string>{"a", "b1", "b2", "c"});
  CHECK(timers.pending() == 0);
}

TEST_CASE("a cancelled timer never runs and its callback is released at once",
          "[common][unit][timers]") {
  boost::asio::io_context io;
  AsioTimers timers(io);
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> watch = token;
  int ran = 0;
  const TimerId id = timers.scheduleAt(past(5), [&ran, token] { ++ran; });
  token.reset();
  timers.scheduleAt(past(1), [&ran] { ran += 10; });
  timers.cancel(id);
  CHECK(watch.expired());  // the captured state went with the cancel
  timers.cancel(id);       // twice is harmless
  timers.cancel(12345);    // so is an unknown id
  io.run();
  CHECK(ran == 10);
}

TEST_CASE("a callback may cancel a timer that is due in the same turn", "[common][unit][timers]") {
  boost::asio::io_context io;
  AsioTimers timers(io);
  std::vector<int> ran;
  TimerId second = 0;
  timers.scheduleAt(past(20), [&] {
    ran.push_back(1);
    timers.cancel(second);
  });
  second = timers.scheduleAt(past(10), [&] { ran.push_back(2); });
  timers.scheduleAt(past(5), [&] { ran.push_back(3); });
  io.run();
  CHECK(ran == std::vector<int>{1, 3});
}

TEST_CASE(
    "timers scheduled from a callback run on a later turn, so a self-rescheduling timer "
    "cannot starve the loop",
    "[common][unit][timers]") {
  boost::asio::io_context io;
  AsioTimers timers(io);
  int ticks = 0;
  bool posted_ran = false;
  std::function<void()> tick = [&] {
    if (++ticks == 1) {
      boost::asio::post(io, [&] { posted_ran = true; });
    }
    if (ticks < 100) {
      timers.scheduleAt(past(0), tick);
    }
  };
  timers.scheduleAt(past(0), tick);
  // One turn of the loop runs at most one batch of timers: the handler posted by the first tick
  // gets its turn long before the hundredth tick.
  while (!posted_ran) {
    io.run_one();
  }
  CHECK(ticks < 100);
  io.run();
  CHECK(ticks == 100);
}

TEST_CASE("a timer in the future keeps the loop waiting until it is cancelled",
          "[common][unit][timers]") {
  boost::asio::io_context io;
  AsioTimers timers(io);
  bool ran = false;
  const TimerId later = timers.scheduleAt(inAnHour(), [&] { ran = true; });
  timers.scheduleAt(past(1), [&] { timers.cancel(later); });
  io.run();  // returns: the only wait left was cancelled
  CHECK_FALSE(ran);
  CHECK(timers.pending() == 0);
}

TEST_CASE("cancelling the only timer from outside a timer callback lets run() return",
          "[common][unit][timers]") {
  boost::asio::io_context io;
  AsioTimers timers(io);
  bool ran = false;
  const TimerId later = timers.scheduleAt(inAnHour(), [&] { ran = true; });
  const TimerId sooner = timers.scheduleAt(inAnHour(1), [&] { ran = true; });
  boost::asio::post(io, [&] {
    timers.cancel(sooner);  // the armed one: the wait moves to `later`
    timers.cancel(later);   // nothing left: the wait ends
  });
  io.run();  // would block for an hour if a wait were left behind
  CHECK_FALSE(ran);
  CHECK(timers.pending() == 0);
}

TEST_CASE("many cancelled timers are swept from the heap, and the rest still run in order",
          "[common][unit][timers]") {
  boost::asio::io_context io;
  AsioTimers timers(io);
  const SteadyTime far = inAnHour();
  std::vector<TimerId> ids;
  for (int i = 0; i < 5000; ++i) {
    ids.push_back(timers.scheduleAt(far, [] {}));
  }
  for (const TimerId id : ids) {
    timers.cancel(id);
  }
  std::vector<int> ran;
  for (int i = 0; i < 3; ++i) {
    timers.scheduleAt(past(10 - i), [&ran, i] { ran.push_back(i); });
  }
  io.run();
  CHECK(ran == std::vector<int>{0, 1, 2});
  CHECK(timers.pending() == 0);
}

TEST_CASE("no callback runs after the timers are destroyed", "[common][unit][timers]") {
  boost::asio::io_context io;
  bool ran = false;
  {
    AsioTimers timers(io);
    timers.scheduleAt(past(1), [&] { ran = true; });
  }
  io.run();
  CHECK_FALSE(ran);
}

TEST_CASE("a callback may destroy the timers that run it", "[common][unit][timers]") {
  boost::asio::io_context io;
  auto timers = std::make_unique<AsioTimers>(io);
  int ran = 0;
  timers->scheduleAt(past(2), [&] {
    ++ran;
    timers.reset();
  });
  timers->scheduleAt(past(1), [&] { ++ran; });
  io.run();
  CHECK(ran == 1);
}

}  // namespace
}  // namespace vitals
