#include <catch2/catch.hpp>

#include <vector>

#include "agent/publish/result_pipeline.hpp"
#include "agent/spool/memory_spool.hpp"
#include "common/model/codec.hpp"
#include "common/time/manual_time.hpp"
#include "tests/unit/agent/fakes/fake_bus_publisher.hpp"
#include "tests/unit/agent/fakes/fake_work_queue.hpp"
#include "tests/unit/agent/fakes/test_logger.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace vitals::agent::test;
using namespace std::chrono_literals;

namespace {

PipelineSettings settings(std::size_t max_batch = 3) {
  PipelineSettings s;
  s.agent_id = "a1";
  s.boot_id = "b1";
  s.max_batch = max_batch;
  s.max_delay = 200ms;
  s.drain_rate = 50;  // a backlog drains one batch per 20 ms
  s.retry_min = 200ms;
  s.retry_max = 5s;
  return s;
}

CheckResult result(const std::string& check = "web") {
  CheckResult r;
  r.service = "web";
  r.check = check;
  r.kind = "http";
  r.status = HealthStatus::Healthy;
  r.raw_status = HealthStatus::Healthy;
  r.observed_at = SystemTime{std::chrono::seconds{1'800'000'000}};
  return r;
}

template <typename Queue>
struct Harness {
  explicit Harness(PipelineSettings s = settings(), std::uint64_t spool_bytes = 1 << 20)
      : spool(spool_bytes),
        pipeline(s, time, time, random, bus, queue, spool, metrics, quietLogger()) {}
  ManualTime time;
  FixedRandom random{0.0};  // backoff jitter factor 0.8
  FakeBusPublisher bus;
  Queue queue;
  metrics::Registry metrics;
  MemorySpool spool;
  ResultPipeline pipeline;

  void add(int n) {
    for (int i = 0; i < n; ++i) {
      pipeline.add(result());
    }
  }
  // Seqs of every stored batch, in publication order.
  std::vector<std::uint64_t> storedSeqs() const {
    std::vector<std::uint64_t> out;
    for (const auto& m : bus.stored) {
      auto batch = codec::decodeBatch(m.data);
      REQUIRE(batch.ok());
      for (const auto& r : batch->results) {
        out.push_back(r.seq);
      }
    }
    return out;
  }
  std::vector<std::string> storedIds() const {
    std::vector<std::string> out;
    for (const auto& m : bus.stored) {
      out.push_back(m.msg_id);
    }
    return out;
  }
  std::uint64_t counter(const std::string& name) { return metrics.counter(name, "").value(); }
};

std::vector<std::uint64_t> range(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> out;
  for (auto i = from; i <= to; ++i) {
    out.push_back(i);
  }
  return out;
}

}  // namespace

TEST_CASE("results get contiguous seqs from 1 and the agent's ids", "[agent][unit][publish]") {
  Harness<InlineWorkQueue> h;
  h.add(7);
  h.time.advance(200ms);
  CHECK(h.storedSeqs() == range(1, 7));
  CHECK(h.pipeline.lastSeq() == 7);
  for (const auto& m : h.bus.stored) {
    CHECK(m.subject == "vitals.agent.a1.results");
    auto batch = codec::decodeBatch(m.data);
    REQUIRE(batch.ok());
    CHECK(batch->agent_id == "a1");
    CHECK(batch->boot_id == "b1");
    for (const auto& r : batch->results) {
      CHECK(r.agent_id == "a1");
      CHECK(r.boot_id == "b1");
    }
  }
  CHECK(h.counter("vitals_agent_results_published_total") == 7);
}

TEST_CASE("a full batch is published at once, a partial one after max_delay",
          "[agent][unit][publish]") {
  Harness<InlineWorkQueue> h;
  h.add(3);
  REQUIRE(h.bus.stored.size() == 1);  // max_batch reached: no waiting
  h.add(2);
  h.time.advance(199ms);
  CHECK(h.bus.stored.size() == 1);
  h.time.advance(1ms);
  REQUIRE(h.bus.stored.size() == 2);
  CHECK(h.storedIds() == std::vector<std::string>{"a1.b1.1", "a1.b1.4"});
  CHECK(h.storedSeqs() == range(1, 5));
  CHECK(h.pipeline.buffered() == 0);
}

TEST_CASE("max_delay counts from the oldest waiting result", "[agent][unit][publish]") {
  Harness<InlineWorkQueue> h;
  h.add(1);
  h.time.advance(150ms);
  h.add(1);
  h.time.advance(50ms);
  REQUIRE(h.bus.stored.size() == 1);
  CHECK(h.storedSeqs() == range(1, 2));
}

TEST_CASE("batches never hold more than max_batch results", "[agent][unit][publish]") {
  Harness<ManualWorkQueue> h;
  h.add(10);  // one batch goes out, the rest wait for it
  h.time.advance(1s);
  h.queue.runAll();
  h.time.advance(1s);
  h.queue.runAll();
  h.time.advance(1s);
  h.queue.runAll();
  for (const auto& m : h.bus.stored) {
    auto batch = codec::decodeBatch(m.data);
    REQUIRE(batch.ok());
    CHECK(batch->results.size() <= 3);
  }
  CHECK(h.storedSeqs() == range(1, 10));
  CHECK(h.storedIds() == std::vector<std::string>{"a1.b1.1", "a1.b1.4", "a1.b1.7", "a1.b1.10"});
}

TEST_CASE("only one batch is published at a time", "[agent][unit][publish]") {
  Harness<ManualWorkQueue> h;
  h.add(3);
  CHECK(h.queue.pending() == 1);
  h.add(3);  // a second full batch waits for the first
  CHECK(h.queue.pending() == 1);
  h.queue.runOne();
  CHECK(h.bus.stored.size() == 1);
  CHECK(h.queue.pending() == 1);  // the next one goes out as soon as the first is stored
  h.queue.runOne();
  CHECK(h.storedSeqs() == range(1, 6));
}

TEST_CASE("a failed publish is retried with the same results and message id, in order",
          "[agent][unit][publish]") {
  Harness<InlineWorkQueue> h;
  h.bus.fail_next = 2;
  h.add(3);  // batch 1..3 fails
  h.add(3);  // 4..6 wait behind it
  REQUIRE(h.bus.stored.empty());
  REQUIRE(h.bus.attempts.size() == 1);
  h.time.advance(159ms);  // first retry after 200 ms * 0.8
  CHECK(h.bus.attempts.size() == 1);
  h.time.advance(1ms);
  CHECK(h.bus.attempts.size() == 2);  // fails again; next after 400 ms * 0.8
  h.time.advance(320ms);
  REQUIRE(h.bus.attempts.size() == 3);  // stored; 4..6 follow after the backlog's pace gap
  h.time.advance(20ms);
  REQUIRE(h.bus.attempts.size() == 4);
  CHECK(h.bus.attempts[0].msg_id == "a1.b1.1");
  CHECK(h.bus.attempts[1].msg_id == "a1.b1.1");
  CHECK(h.bus.attempts[2].msg_id == "a1.b1.1");
  CHECK(h.bus.attempts[1].data == h.bus.attempts[0].data);
  CHECK(h.bus.attempts[2].data == h.bus.attempts[0].data);
  CHECK(h.storedIds() == std::vector<std::string>{"a1.b1.1", "a1.b1.4"});
  CHECK(h.storedSeqs() == range(1, 6));
  CHECK(h.counter("vitals_agent_publish_failures_total") == 2);
}

TEST_CASE("publish retry backoff doubles up to its cap", "[agent][unit][publish]") {
  Harness<InlineWorkQueue> h;
  h.bus.down = true;
  h.add(3);
  std::vector<SteadyTime> at;
  const SteadyTime start = h.time.steadyNow();
  std::size_t seen = h.bus.attempts.size();
  for (int i = 0; i < 3000; ++i) {  // 30 s in 10 ms steps
    h.time.advance(10ms);
    if (h.bus.attempts.size() != seen) {
      seen = h.bus.attempts.size();
      at.push_back(h.time.steadyNow());
    }
  }
  REQUIRE(at.size() >= 7);
  // 160, 320, 640, 1280, 2560, 4000 (cap 5 s * 0.8), 4000 ms
  CHECK(at[0] - start == 160ms);
  CHECK(at[1] - at[0] == 320ms);
  CHECK(at[4] - at[3] == 2560ms);
  CHECK(at[5] - at[4] == 4000ms);
  CHECK(at[6] - at[5] == 4000ms);
}

TEST_CASE("while the bus is away a full spool drops its oldest batches and counts the results",
          "[agent][unit][publish][spool]") {
  // Room for about two batches of three results.
  const auto one_batch = [] {
    ResultBatch rb;
    rb.agent_id = "a1";
    rb.boot_id = "b1";
    for (int i = 0; i < 3; ++i) {
      rb.results.push_back(result());
      rb.results.back().agent_id = "a1";
      rb.results.back().boot_id = "b1";
      rb.results.back().seq = 10 + static_cast<std::uint64_t>(i);
    }
    return codec::encodeBatch(rb).size() + 16 + 7;
  }();
  Harness<InlineWorkQueue> h(settings(3), 2 * one_batch + 10);
  h.bus.down = true;
  h.add(3);  // 1..3: tried and failed, stays at the front of the spool
  h.add(3);  // 4..6
  CHECK(h.pipeline.dropped() == 0);
  h.add(3);  // 7..9: no room; 1..3 are the oldest and go
  CHECK(h.pipeline.dropped() == 3);
  CHECK(h.counter("vitals_agent_spool_dropped_total") == 3);
  CHECK(h.pipeline.buffered() == 6);
  CHECK(h.metrics.gauge("vitals_agent_results_buffered", "").value() == 6.0);

  h.bus.down = false;
  h.pipeline.retryNow();
  h.time.advance(1s);
  CHECK(h.storedSeqs() == range(4, 9));
  CHECK(h.pipeline.buffered() == 0);
  CHECK(h.pipeline.lastSeq() == 9);  // seqs were assigned without gaps; the gap is the drop
}

TEST_CASE("after an outage the backlog drains in order at drain_rate, newer results behind it",
          "[agent][unit][publish][spool]") {
  Harness<InlineWorkQueue> h;
  h.bus.down = true;
  h.add(12);  // four batches spooled; the first attempt failed
  REQUIRE(h.spool.batches() == 4);
  h.bus.down = false;
  h.pipeline.retryNow();  // batch 1 at once, then one per 20 ms
  CHECK(h.bus.stored.size() == 1);
  h.add(3);  // newer: queued behind the backlog
  h.time.advance(19ms);
  CHECK(h.bus.stored.size() == 1);
  h.time.advance(1ms);
  CHECK(h.bus.stored.size() == 2);
  h.time.advance(60ms);
  CHECK(h.storedSeqs() == range(1, 15));
  CHECK(h.storedIds() ==
        std::vector<std::string>{"a1.b1.1", "a1.b1.4", "a1.b1.7", "a1.b1.10", "a1.b1.13"});
  CHECK(h.spool.empty());
}

TEST_CASE("batches left in the spool by an earlier run go out first, with their own ids",
          "[agent][unit][publish][spool]") {
  ManualTime time;
  FixedRandom random{0.0};
  FakeBusPublisher bus;
  InlineWorkQueue queue;
  metrics::Registry metrics;
  MemorySpool spool(1 << 20);
  REQUIRE(spool.append("a1.old-boot.41", "old-bytes", 2).ok());
  ResultPipeline pipeline(settings(), time, time, random, bus, queue, spool, metrics,
                          quietLogger());
  pipeline.add(result());
  pipeline.add(result());
  pipeline.add(result());  // a full batch of the new boot, behind the old one
  pipeline.start();
  time.advance(100ms);
  REQUIRE(bus.stored.size() == 2);
  CHECK(bus.stored[0].msg_id == "a1.old-boot.41");
  CHECK(bus.stored[0].data == "old-bytes");
  CHECK(bus.stored[1].msg_id == "a1.b1.1");
}

TEST_CASE("retryNow publishes a waiting batch without waiting for its backoff",
          "[agent][unit][publish]") {
  Harness<InlineWorkQueue> h;
  h.bus.fail_next = 1;
  h.add(3);
  REQUIRE(h.bus.stored.empty());
  h.pipeline.retryNow();
  CHECK(h.bus.stored.size() == 1);
}

TEST_CASE("drain sends what is waiting at once and reports when nothing is left",
          "[agent][unit][publish]") {
  Harness<InlineWorkQueue> h;
  h.add(1);
  std::optional<std::size_t> unsent;
  h.pipeline.drain(h.time.steadyNow() + 2s, [&](std::size_t n) { unsent = n; });
  REQUIRE(unsent.has_value());
  CHECK(*unsent == 0);
  CHECK(h.storedSeqs() == range(1, 1));
}

TEST_CASE("drain gives up at its deadline and says how many results were not sent",
          "[agent][unit][publish]") {
  Harness<InlineWorkQueue> h;
  h.bus.down = true;
  h.add(5);
  std::optional<std::size_t> unsent;
  h.pipeline.drain(h.time.steadyNow() + 2s, [&](std::size_t n) { unsent = n; });
  h.time.advance(1999ms);
  CHECK_FALSE(unsent.has_value());
  h.time.advance(1ms);
  REQUIRE(unsent.has_value());
  CHECK(*unsent == 5);
}
