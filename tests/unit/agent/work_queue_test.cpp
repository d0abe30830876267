#include <catch2/catch.hpp>

#include <thread>

#include "agent/runtime/asio_work_queue.hpp"
#include "common/asio/asio.hpp"
#include "tests/unit/agent/fakes/fake_work_queue.hpp"
#include "tests/unit/agent/fakes/test_logger.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace vitals::agent::test;

TEST_CASE("AsioWorkQueue runs work off the loop thread and the continuation on it",
          "[agent][unit][runtime]") {
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  AsioWorkQueue queue(io, 2, "test", quietLogger());
  const auto loop_thread = std::this_thread::get_id();
  std::thread::id work_thread;
  std::thread::id then_thread;
  int value = 0;
  runOffLoop<int>(
      queue,
      [&] {
        work_thread = std::this_thread::get_id();
        return 41;
      },
      [&](int v) {
        then_thread = std::this_thread::get_id();
        value = v + 1;
        guard.reset();
      },
      [](const std::string&) { return -1; });
  io.run();
  CHECK(value == 42);
  CHECK(work_thread != loop_thread);
  CHECK(then_thread == loop_thread);
}

TEST_CASE("an exception in work becomes a value, not a crash", "[agent][unit][runtime]") {
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  AsioWorkQueue queue(io, 1, "test", quietLogger());
  std::string got;
  runOffLoop<std::string>(
      queue, []() -> std::string { throw std::runtime_error("kaput"); },
      [&](std::string v) {
        got = v;
        guard.reset();
      },
      [](const std::string& what) { return "error: " + what; });
  io.run();
  CHECK(got == "error: kaput");
}

TEST_CASE("a one-thread AsioWorkQueue keeps submission order", "[agent][unit][runtime]") {
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  AsioWorkQueue queue(io, 1, "test", quietLogger());
  std::vector<int> worked;  // only the single worker writes it
  std::vector<int> continued;
  for (int i = 0; i < 50; ++i) {
    queue.run([&worked, i] { worked.push_back(i); },
              [&continued, &guard, i] {
                continued.push_back(i);
                if (i == 49) {
                  guard.reset();
                }
              });
  }
  io.run();
  queue.join();
  std::vector<int> expected;
  for (int i = 0; i < 50; ++i) {
    expected.push_back(i);
  }
  CHECK(worked == expected);
  CHECK(continued == expected);
}

TEST_CASE("the test work queues run work then continuation", "[agent][unit][runtime]") {
  InlineWorkQueue inline_queue;
  std::vector<std::string> order;
  inline_queue.run([&] { order.push_back("work"); }, [&] { order.push_back("then"); });
  CHECK(order == std::vector<std::string>{"work", "then"});
  CHECK(inline_queue.submitted() == 1);

  ManualWorkQueue manual;
  order.clear();
  manual.run([&] { order.push_back("work"); }, [&] { order.push_back("then"); });
  CHECK(order.empty());
  CHECK(manual.pending() == 1);
  CHECK(manual.runOne());
  CHECK(order == std::vector<std::string>{"work", "then"});
  CHECK_FALSE(manual.runOne());
}
