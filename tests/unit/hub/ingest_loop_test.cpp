#include <catch2/catch.hpp>

#include "common/log/log.hpp"
#include "common/random/random.hpp"
#include "common/time/manual_time.hpp"
#include "hub/ingest/ingest_loop.hpp"
#include "tests/unit/hub/fakes/fake_messages.hpp"
#include "tests/unit/hub/fakes/in_memory_event_store.hpp"
#include "tests/unit/hub/test_data.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

struct LoopRig {
  test::InMemoryEventStore store;
  state::HubState state;
  metrics::Registry registry;
  ManualTime time;
  FixedRandom random{0.0};
  test::FakeMessageSource source;
  std::shared_ptr<spdlog::logger> logger =
      log::makeLogger("test", log::LogOptions{"off", log::Format::Text});
  ingest::BatchProcessor processor{store, state, registry, time, logger};
  ingest::IngestLoop loop{source, processor, store, time, random, registry,
                          ingest::IngestLoopOptions{50, 200ms, std::chrono::hours{1}}, logger};
};

}  // namespace

TEST_CASE("backoff doubles from 250ms, is capped at 15s and jitters between half and full",
          "[hub][unit][ingest]") {
  FixedRandom low{0.0};
  FixedRandom high{0.999999};
  CHECK(ingest::backoffDelay(0, low) == 125ms);
  CHECK(ingest::backoffDelay(0, high) == 249ms);
  CHECK(ingest::backoffDelay(1, low) == 250ms);
  CHECK(ingest::backoffDelay(3, low) == 1000ms);
  CHECK(ingest::backoffDelay(6, high) == 14999ms);
  CHECK(ingest::backoffDelay(50, low) == 7500ms);
}

TEST_CASE("the loop maintains partitions first, then hourly", "[hub][unit][ingest]") {
  LoopRig rig;
  CHECK(rig.loop.runOnce() == 0ms);
  CHECK(rig.store.maintain_calls == 1);
  CHECK(rig.source.last_max == 50);
  rig.time.advance(59min);
  (void)rig.loop.runOnce();
  CHECK(rig.store.maintain_calls == 1);
  rig.time.advance(1min);
  (void)rig.loop.runOnce();
  CHECK(rig.store.maintain_calls == 2);
}

TEST_CASE("a failed maintenance is retried within a minute", "[hub][unit][ingest]") {
  LoopRig rig;
  rig.store.fail_maintain = true;
  CHECK(rig.loop.runOnce() > 0ms);  // database unavailable: back off
  CHECK(rig.registry.counter("vitals_ingest_maintenance_errors_total", "").value() == 1);
  rig.store.fail_maintain = false;
  (void)rig.loop.runOnce();  // reconnects, then maintenance is not due yet
  CHECK(rig.store.maintain_calls == 1);
  rig.time.advance(1min);
  (void)rig.loop.runOnce();
  CHECK(rig.store.maintain_calls == 2);
}

TEST_CASE("after a database error the loop reconnects before it fetches again",
          "[hub][unit][ingest]") {
  LoopRig rig;
  rig.store.fail_commits = 1;
  rig.store.fail_reconnects = 2;
  rig.source.push({test::resultsMessage("a1", "b1", 1, 2)});
  CHECK(rig.loop.runOnce() == 125ms);  // commit failed: first backoff
  CHECK_FALSE(rig.loop.databaseHealthy());
  const int fetches = rig.source.fetch_calls;
  CHECK(rig.loop.runOnce() == 250ms);  // reconnect fails: no fetch, longer backoff
  CHECK(rig.loop.runOnce() == 500ms);
  CHECK(rig.source.fetch_calls == fetches);
  rig.source.push({test::resultsMessage("a1", "b1", 1, 2)});  // the nak'd redelivery
  CHECK(rig.loop.runOnce() == 0ms);
  CHECK(rig.loop.databaseHealthy());
  CHECK(rig.store.reconnect_calls == 3);
  CHECK(rig.store.rows.size() == 2);
}

TEST_CASE("bus errors back off without touching the database", "[hub][unit][ingest]") {
  LoopRig rig;
  rig.source.pushError();
  rig.source.pushError();
  CHECK(rig.loop.runOnce() == 125ms);
  CHECK(rig.loop.runOnce() == 250ms);
  CHECK(rig.loop.runOnce() == 0ms);  // back, nothing pending
  CHECK(rig.store.commit_calls == 0);
  CHECK(rig.loop.databaseHealthy());
  CHECK(rig.registry.counter("vitals_ingest_fetch_errors_total", "").value() == 2);
}
