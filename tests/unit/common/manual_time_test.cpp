#include <catch2/catch.hpp>
#include <vector>

#include "common/time/manual_time.hpp"

using namespace vitals;
using namespace std::chrono_literals;

TEST_CASE("manual time fires due timers in deadline order and no earlier", "[common][unit]") {
  ManualTime time;
  std::vector<int> fired;
  const auto t0 = time.steadyNow();
  time.scheduleAt(t0 + 3s, [&] { fired.push_back(3); });
  time.scheduleAt(t0 + 1s, [&] { fired.push_back(1); });
  const auto cancelled = time.scheduleAt(t0 + 2s, [&] { fired.push_back(2); });
  time.cancel(cancelled);
  time.advance(999ms);
  CHECK(fired.empty());
  time.advance(1ms);
  CHECK(fired == std::vector<int>{1});
  time.advance(5s);
  CHECK(fired == std::vector<int>{1, 3});
  CHECK(time.pendingCount() == 0);
}

TEST_CASE("a timer scheduled by a callback fires within the same advance", "[common][unit]") {
  ManualTime time;
  int runs = 0;
  std::function<void()> tick = [&] {
    ++runs;
    time.scheduleAfter(time.steadyNow(), 1s, tick);
  };
  time.scheduleAfter(time.steadyNow(), 1s, tick);
  time.advance(10s);
  CHECK(runs == 10);
}

TEST_CASE("manual wall clock moves with steady time", "[common][unit]") {
  ManualTime time;
  const auto w0 = time.now();
  time.advance(90s);
  CHECK(time.now() - w0 == 90s);
}
