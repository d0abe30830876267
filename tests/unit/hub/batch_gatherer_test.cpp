#include <catch2/catch.hpp>

#include "common/time/manual_time.hpp"
#include "hub/ingest/batch_gatherer.hpp"
#include "tests/unit/hub/fakes/fake_messages.hpp"

using namespace vitals;
using namespace std::chrono_literals;
using hub::ingest::BatchGatherer;
using hub::ingest::MessageList;

namespace {

MessageList messages(int n) {
  MessageList out;
  for (int i = 0; i < n; ++i) {
    out.push_back(
        std::make_unique<test::FakeMessage>("vitals.agent.a1.results", "m" + std::to_string(i)));
  }
  return out;
}

}  // namespace

TEST_CASE("a lone message becomes a batch exactly max_delay after it arrived",
          "[hub][unit][ingest]") {
  ManualTime time;
  BatchGatherer gatherer(500, 5ms);
  CHECK_FALSE(gatherer.dueAt().has_value());
  gatherer.add(messages(1), time.steadyNow());
  gatherer.add(MessageList{}, time.steadyNow());  // the next fetch found nothing more
  CHECK(gatherer.dueAt() == time.steadyNow() + 5ms);
  time.advance(4ms);
  CHECK_FALSE(gatherer.due(time.steadyNow()));
  time.advance(1ms);
  REQUIRE(gatherer.due(time.steadyNow()));
  auto batch = gatherer.take();
  CHECK(batch.size() == 1);
  CHECK(gatherer.empty());
  CHECK_FALSE(gatherer.due(time.steadyNow()));
}

TEST_CASE("a full batch is due at once, without waiting for max_delay", "[hub][unit][ingest]") {
  ManualTime time;
  BatchGatherer gatherer(10, 1s);
  gatherer.add(messages(4), time.steadyNow());
  CHECK(gatherer.room() == 6);
  CHECK_FALSE(gatherer.due(time.steadyNow()));
  time.advance(1ms);
  gatherer.add(messages(6), time.steadyNow());
  CHECK(gatherer.room() == 0);
  CHECK(gatherer.due(time.steadyNow()));
  CHECK(gatherer.take().size() == 10);
}

TEST_CASE("later messages join the open window, and the next batch opens a window of its own",
          "[hub][unit][ingest]") {
  ManualTime time;
  BatchGatherer gatherer(100, 10ms);
  gatherer.add(messages(1), time.steadyNow());
  time.advance(8ms);
  gatherer.add(messages(2), time.steadyNow());  // does not push the deadline back
  gatherer.add(MessageList{}, time.steadyNow());
  time.advance(2ms);
  REQUIRE(gatherer.due(time.steadyNow()));
  const auto first = gatherer.take();
  REQUIRE(first.size() == 3);
  CHECK(first[0]->data() == "m0");
  CHECK(first[2]->data() == "m1");
  time.advance(1ms);
  gatherer.add(messages(1), time.steadyNow());
  gatherer.add(MessageList{}, time.steadyNow());
  CHECK_FALSE(gatherer.due(time.steadyNow()));
  CHECK(gatherer.dueAt() == time.steadyNow() + 10ms);
}

TEST_CASE("while messages keep arriving a batch stays open past max_delay, up to kMaxOpen",
          "[hub][unit][ingest]") {
  ManualTime time;
  BatchGatherer gatherer(500, 2ms);
  const auto opened = time.steadyNow();
  gatherer.add(messages(1), time.steadyNow());
  for (int i = 0; i < 20; ++i) {
    time.advance(2ms);
    gatherer.add(messages(3), time.steadyNow());  // a backlog: every fetch brings more
    CHECK_FALSE(gatherer.due(time.steadyNow()));
  }
  CHECK(gatherer.dueAt() == opened + BatchGatherer::kMaxOpen);
  time.advance(BatchGatherer::kMaxOpen - 40ms);
  CHECK(gatherer.due(time.steadyNow()));
  CHECK(gatherer.take().size() == 61);
}

TEST_CASE("with max_delay 0 whatever is gathered is due at once", "[hub][unit][ingest]") {
  ManualTime time;
  BatchGatherer gatherer(500, 0ms);
  gatherer.add(messages(1), time.steadyNow());
  gatherer.add(MessageList{}, time.steadyNow());
  CHECK(gatherer.due(time.steadyNow()));
  CHECK(gatherer.size() == 1);
}
