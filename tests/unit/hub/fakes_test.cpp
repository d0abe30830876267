// The fakes behave like what they stand for, so tests built on them mean something.
#include <catch2/catch.hpp>

#include "tests/unit/hub/fakes/fake_messages.hpp"
#include "tests/unit/hub/fakes/fake_read_store.hpp"
#include "tests/unit/hub/fakes/in_memory_event_store.hpp"
#include "tests/unit/hub/test_data.hpp"

using namespace vitals;
using namespace vitals::test;

TEST_CASE("InMemoryEventStore drops replays by the event key and fails when told",
          "[hub][unit][fakes]") {
  InMemoryEventStore store;
  hub::store::IngestBatch batch;
  batch.results = {result("a", "b", 1), result("a", "b", 2), result("a", "b", 1)};
  auto r = store.commit(batch);
  REQUIRE(r.ok());
  CHECK(r->inserted == 2);
  CHECK(r->duplicates == 1);
  store.fail_commits = 1;
  auto failed = store.commit(batch);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == "db.unavailable");
  CHECK(store.commits == 1);
  CHECK(store.rows.size() == 2);
}

TEST_CASE("FakeMessageSource replays its script, then returns empty fetches",
          "[hub][unit][fakes]") {
  FakeMessageSource source;
  source.push({{"s1", "d1"}, {"s2", "d2"}});
  source.pushError();
  auto first = source.fetch(10, std::chrono::milliseconds{0});
  REQUIRE(first.ok());
  REQUIRE(first->size() == 2);
  CHECK(first.value()[1]->subject() == "s2");
  (void)first.value()[0]->term();
  CHECK(source.handed_out[0]->settled == Settled::Termed);
  CHECK_FALSE(source.fetch(10, std::chrono::milliseconds{0}).ok());
  auto empty = source.fetch(10, std::chrono::milliseconds{0});
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("FakeReadStore pages newest first and honours the window", "[hub][unit][fakes]") {
  FakeReadStore store;
  for (std::uint64_t s = 1; s <= 5; ++s) {
    store.results.push_back({result("a", "b", s), at(0)});
  }
  hub::store::HistoryQuery q;
  q.service = "web";
  q.limit = 2;
  auto p = store.history(q);
  REQUIRE(p.ok());
  REQUIRE(p->results.size() == 2);
  CHECK(p->results[0].result.seq == 5);
  REQUIRE(p->next);
  q.after = p->next;
  q.since = result("a", "b", 2).observed_at;
  p = store.history(q);
  REQUIRE(p.ok());
  REQUIRE(p->results.size() == 2);
  CHECK(p->results[0].result.seq == 3);
  CHECK_FALSE(p->next);
}
