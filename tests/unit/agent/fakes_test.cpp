// The fakes other agent tests rely on behave as documented.
#include <catch2/catch.hpp>

#include "tests/unit/agent/fakes/fake_bus_publisher.hpp"
#include "tests/unit/agent/fakes/fake_probe.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace vitals::agent::test;
using namespace std::chrono_literals;

TEST_CASE("FakeProbe holds runs until the test completes them, oldest first",
          "[agent][unit][fakes]") {
  FakeProbe probe;
  std::vector<std::string> got;
  probe.run(2s, [&](ProbeOutcome o) { got.push_back("first:" + o.message); });
  probe.run(3s, [&](ProbeOutcome o) { got.push_back("second:" + o.message); });
  CHECK(probe.runs() == 2);
  CHECK(probe.lastTimeout() == 3s);
  CHECK(got.empty());
  probe.succeed();
  probe.fail();
  CHECK(got == std::vector<std::string>{"first:ok", "second:connection refused"});
  CHECK(probe.pendingCount() == 0);
}

TEST_CASE("ScriptedProbe answers each run from its script", "[agent][unit][fakes]") {
  ScriptedProbe probe([](int run) { return ProbeOutcome::healthy(1ms, std::to_string(run)); });
  std::string last;
  probe.run(1s, [&](ProbeOutcome o) { last = o.message; });
  probe.run(1s, [&](ProbeOutcome o) { last = o.message; });
  CHECK(last == "2");
  CHECK(probe.runs() == 2);
}

TEST_CASE("FakeBusPublisher stores, fails on request, and records every attempt",
          "[agent][unit][fakes]") {
  FakeBusPublisher bus;
  bus.fail_next = 1;
  CHECK_FALSE(bus.publish("s", "a", "id1").ok());
  CHECK(bus.publish("s", "a", "id1").ok());
  bus.down = true;
  auto failed = bus.publish("t", "b", "id2");
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == "nats.unavailable");
  CHECK(bus.attempts.size() == 3);
  REQUIRE(bus.stored.size() == 1);
  CHECK(bus.stored[0].msg_id == "id1");
  CHECK(bus.on("s").size() == 1);
  CHECK(bus.on("t").empty());
}
