#include <catch2/catch.hpp>

#include "fakes/fake_messages.hpp"
#include "hub/ingest/prefetching_source.hpp"

using namespace vitals;
using namespace std::chrono_literals;

// These tests run the prefetch thread for real; every wait is on a condition that the thread
// satisfies at once (the fake source never blocks), bounded by a generous timeout.

TEST_CASE("the prefetching source hands over the inner source's batches in order, decoded",
          "[hub][unit]") {
  test::FakeMessageSource inner;
  inner.push({{"vitals.agent.a1.gossip", "x"}});
  inner.push({{"vitals.agent.a1.results", "\xff garbage"}, {"vitals.agent.a2.results", "y"}});
  hub::ingest::PrefetchingSource source(inner, 7, 10ms);

  auto first = source.fetch(7, 5s);
  REQUIRE(first.ok());
  REQUIRE(first->size() == 1);
  CHECK((*first)[0]->subject() == "vitals.agent.a1.gossip");
  CHECK((*first)[0]->takeDecoded().verdict == hub::ingest::DecodedMessage::Verdict::Malformed);

  auto second = source.fetch(7, 5s);
  REQUIRE(second.ok());
  REQUIRE(second->size() == 2);
  CHECK((*second)[1]->subject() == "vitals.agent.a2.results");
}

TEST_CASE("an error of the inner source reaches the caller, and fetching goes on after it",
          "[hub][unit]") {
  test::FakeMessageSource inner;
  inner.pushError();
  inner.push({{"vitals.agent.a1.results", "z"}});
  hub::ingest::PrefetchingSource source(inner, 10, 10ms);
  auto failed = source.fetch(10, 5s);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == "nats.unavailable");
  auto next = source.fetch(10, 5s);
  REQUIRE(next.ok());
  CHECK(next->size() == 1);
}

TEST_CASE("with nothing fetched ahead, fetch returns an empty batch after its timeout",
          "[hub][unit]") {
  test::FakeMessageSource inner;
  hub::ingest::PrefetchingSource source(inner, 10, 10ms);
  auto none = source.fetch(10, 20ms);
  REQUIRE(none.ok());
  CHECK(none->empty());
}
