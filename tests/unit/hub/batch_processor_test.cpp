#include <catch2/catch.hpp>

#include "common/log/log.hpp"
#include "common/time/manual_time.hpp"
#include "hub/ingest/batch_processor.hpp"
#include "tests/unit/hub/fakes/fake_messages.hpp"
#include "tests/unit/hub/fakes/in_memory_event_store.hpp"
#include "tests/unit/hub/test_data.hpp"

using namespace vitals;
using namespace vitals::hub;
using vitals::test::FakeMessageSource;
using vitals::test::InMemoryEventStore;
using vitals::test::Settled;
using Verdict = ingest::DecodedMessage::Verdict;

namespace {

std::shared_ptr<spdlog::logger> quietLogger() {
  return log::makeLogger("test", log::LogOptions{"off", log::Format::Text});
}

// One processor with its collaborators; fetch() takes the next scripted fetch.
struct Rig {
  InMemoryEventStore store;
  state::HubState state;
  metrics::Registry registry;
  ManualTime time;
  FakeMessageSource source;
  ingest::BatchProcessor processor{store, state, registry, time, quietLogger()};
  ingest::MessageList fetched;

  Status run(const std::vector<std::pair<std::string, std::string>>& messages) {
    source.push(messages);
    fetched = std::move(source.fetch(100, std::chrono::milliseconds{0})).value();
    return processor.process(fetched);
  }
  std::uint64_t counter(const std::string& name) { return registry.counter(name, "").value(); }
  Settled settled(std::size_t i) { return source.handed_out.at(i)->settled; }
};

}  // namespace

TEST_CASE("decodeMessage accepts results, registrations, heartbeats and deregistrations",
          "[hub][unit][ingest]") {
  auto [subject, data] = test::resultsMessage("a1", "b1", 1, 3);
  auto d = ingest::decodeMessage(subject, data);
  CHECK(d.verdict == Verdict::Accept);
  CHECK(d.results.size() == 3);

  auto reg = test::registration("a1", {test::spec("http", "web")});
  d = ingest::decodeMessage(subjects::agentRegister("a1"), codec::encodeRegistration(reg));
  REQUIRE(d.verdict == Verdict::Accept);
  CHECK(std::holds_alternative<Registration>(*d.catalog));

  d = ingest::decodeMessage(subjects::agentDeregister("a1"), codec::encodeRegistration(reg));
  REQUIRE(d.verdict == Verdict::Accept);
  REQUIRE(std::holds_alternative<store::Deregistration>(*d.catalog));
  CHECK(std::get<store::Deregistration>(*d.catalog).boot_id == "boot");

  Heartbeat hb;
  hb.agent_id = "a1";
  hb.boot_id = "b1";
  d = ingest::decodeMessage(subjects::agentHeartbeat("a1"), codec::encodeHeartbeat(hb));
  REQUIRE(d.verdict == Verdict::Accept);
  CHECK(std::holds_alternative<Heartbeat>(*d.catalog));
}

TEST_CASE("decodeMessage refuses garbage, unknown kinds and other agents' payloads",
          "[hub][unit][ingest]") {
  CHECK(ingest::decodeMessage("vitals.agent.a1.results", "\xff\x01garbage").verdict ==
        Verdict::Malformed);
  CHECK(ingest::decodeMessage("vitals.agent.a1.gossip", "").verdict == Verdict::Malformed);
  CHECK(ingest::decodeMessage("elsewhere", "").verdict == Verdict::Malformed);
  auto [subject, data] = test::resultsMessage("victim", "b", 1, 2, "mallory");
  auto d = ingest::decodeMessage(subject, data);
  CHECK(d.verdict == Verdict::Rejected);
  CHECK_THAT(d.reason, Catch::Contains("\"victim\"") && Catch::Contains("\"mallory\""));
  Heartbeat hb;
  hb.agent_id = "victim";
  CHECK(ingest::decodeMessage(subjects::agentHeartbeat("mallory"), codec::encodeHeartbeat(hb))
            .verdict == Verdict::Rejected);
}

TEST_CASE("a fetch is committed once and every message acked after the commit",
          "[hub][unit][ingest]") {
  Rig rig;
  bool acked_before_commit = false;
  rig.store.before_commit = [&](const store::IngestBatch&) {
    for (auto* m : rig.source.handed_out) {
      acked_before_commit = acked_before_commit || m->settled != Settled::None;
    }
  };
  auto reg = test::registration("a1", {test::spec("http", "web")});
  REQUIRE(rig.run({{subjects::agentRegister("a1"), codec::encodeRegistration(reg)},
                   test::resultsMessage("a1", "b1", 1, 3),
                   test::resultsMessage("a1", "b1", 4, 2)})
              .ok());
  CHECK_FALSE(acked_before_commit);
  CHECK(rig.store.commits == 1);
  CHECK(rig.store.rows.size() == 5);
  CHECK(rig.store.catalog.size() == 1);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(rig.settled(i) == Settled::Acked);
  }
  CHECK(rig.counter("vitals_ingest_messages_total") == 3);
  CHECK(rig.counter("vitals_ingest_results_total") == 5);
  CHECK(rig.counter("vitals_ingest_batches_total") == 1);
  CHECK(rig.registry.gauge("vitals_ingest_last_commit_seconds", "").value() ==
        std::chrono::duration<double>(rig.time.now().time_since_epoch()).count());
  // The state follows the commit.
  CHECK(rig.state.service("web")->status == HealthStatus::Healthy);
}

TEST_CASE("malformed and forged messages are terminated and counted without blocking the rest",
          "[hub][unit][ingest]") {
  Rig rig;
  REQUIRE(rig.run({{"vitals.agent.a1.results", "not protobuf \xff"},
                   test::resultsMessage("victim", "b", 1, 2, "mallory"),
                   test::resultsMessage("a1", "b1", 1, 2)})
              .ok());
  CHECK(rig.settled(0) == Settled::Termed);
  CHECK(rig.settled(1) == Settled::Termed);
  CHECK(rig.settled(2) == Settled::Acked);
  CHECK(rig.counter("vitals_ingest_malformed_total") == 1);
  CHECK(rig.counter("vitals_ingest_rejected_total") == 1);
  CHECK(rig.store.rows.size() == 2);
  for (const auto& [key, row] : rig.store.rows) {
    CHECK(row.agent_id == "a1");
  }
}

TEST_CASE("a fetch with nothing storable commits nothing", "[hub][unit][ingest]") {
  Rig rig;
  REQUIRE(rig.run({{"vitals.agent.a1.results", "junk"}}).ok());
  CHECK(rig.store.commit_calls == 0);
  CHECK(rig.settled(0) == Settled::Termed);
}

TEST_CASE("replayed results are acked and counted as duplicates, not stored twice",
          "[hub][unit][ingest]") {
  Rig rig;
  const auto msg = test::resultsMessage("a1", "b1", 1, 4);
  REQUIRE(rig.run({msg}).ok());
  REQUIRE(rig.run({msg, test::resultsMessage("a1", "b1", 5, 1)}).ok());
  CHECK(rig.store.rows.size() == 5);
  CHECK(rig.counter("vitals_ingest_results_total") == 5);
  CHECK(rig.counter("vitals_ingest_duplicates_total") == 4);
  CHECK(rig.settled(2) == Settled::Acked);
}

TEST_CASE("a database failure acks nothing, naks the batch and reports the error",
          "[hub][unit][ingest]") {
  Rig rig;
  rig.store.fail_commits = 1;
  auto status = rig.run({test::resultsMessage("a1", "b1", 1, 2), {"vitals.agent.a1.results", "x"}});
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code == "db.unavailable");
  CHECK(rig.settled(0) == Settled::Naked);
  CHECK(rig.settled(1) == Settled::Termed);  // garbage stays garbage either way
  CHECK(rig.store.rows.empty());
  CHECK(rig.counter("vitals_ingest_db_errors_total") == 1);
  CHECK(rig.counter("vitals_ingest_batches_total") == 0);
  CHECK_FALSE(rig.state.service("web"));  // state only moves after a commit

  // The redelivery then goes through.
  REQUIRE(rig.run({test::resultsMessage("a1", "b1", 1, 2)}).ok());
  CHECK(rig.store.rows.size() == 2);
  CHECK(rig.settled(2) == Settled::Acked);
}

TEST_CASE("rows the database refuses are isolated: only their message is terminated",
          "[hub][unit][ingest]") {
  Rig rig;
  ResultBatch bad{"a2", "b", {test::result("a2", "b", 1)}};
  bad.results[0].message = "poison";
  rig.store.refuse = [](const CheckResult& r) { return r.message == "poison"; };
  REQUIRE(rig.run({test::resultsMessage("a1", "b1", 1, 2),
                   {subjects::agentResults("a2"), codec::encodeBatch(bad)},
                   test::resultsMessage("a1", "b1", 3, 1)})
              .ok());
  CHECK(rig.settled(0) == Settled::Acked);
  CHECK(rig.settled(1) == Settled::Termed);
  CHECK(rig.settled(2) == Settled::Acked);
  CHECK(rig.store.rows.size() == 3);
  CHECK(rig.counter("vitals_ingest_malformed_total") == 1);
}

TEST_CASE("an outage during the one-by-one retry naks the rest", "[hub][unit][ingest]") {
  Rig rig;
  rig.store.fail_code = "db.data";
  rig.store.fail_commits = 1;  // the whole batch is refused once...
  int calls = 0;
  rig.store.before_commit = [&](const store::IngestBatch&) {
    // ...then the database goes away during the retries of single messages.
    if (++calls == 3) {
      rig.store.fail_code = "db.unavailable";
      rig.store.fail_commits = 1;
    }
  };
  auto status =
      rig.run({test::resultsMessage("a1", "b1", 1, 1), test::resultsMessage("a1", "b1", 2, 1),
               test::resultsMessage("a1", "b1", 3, 1)});
  REQUIRE_FALSE(status.ok());
  CHECK(rig.settled(0) == Settled::Acked);
  CHECK(rig.settled(1) == Settled::Naked);
  CHECK(rig.settled(2) == Settled::Naked);
  CHECK(rig.store.rows.size() == 1);
}

TEST_CASE("the ingest lag gauge is the age of the oldest result of the last commit",
          "[hub][unit][ingest]") {
  Rig rig;
  // Results observed at 1,800,000,001 s, +2 s, +3 s (test_data's clock).
  const double expected =
      std::chrono::duration<double>(rig.time.now() - test::at(1'800'000'001)).count();
  REQUIRE(rig.run({test::resultsMessage("a1", "b1", 1, 3)}).ok());
  CHECK(rig.registry.gauge("vitals_ingest_lag_seconds", "").value() == Approx(expected));
  // A skewed agent clock ahead of the hub's reads as no lag, never as a negative one.
  REQUIRE(rig.run({test::resultsMessage("a1", "b1", 100000, 1)}).ok());
  CHECK(rig.registry.gauge("vitals_ingest_lag_seconds", "").value() == 0.0);
}

namespace {

// Keeps what it is handed, unacked, so a test can look at the hand-over.
struct RecordingAckSink final : ingest::AckSink {
  void ackCommitted(ingest::MessageList committed) override {
    handed.push_back(std::move(committed));
  }
  std::vector<ingest::MessageList> handed;
};

}  // namespace

TEST_CASE("with an ack sink, committed messages are handed over after the commit, not acked inline",
          "[hub][unit][ingest]") {
  Rig rig;
  RecordingAckSink sink;
  rig.processor.setAckSink(&sink);
  std::size_t handed_at_commit = 99;
  rig.store.before_commit = [&](const store::IngestBatch&) {
    handed_at_commit = sink.handed.size();
  };
  REQUIRE(rig.run({test::resultsMessage("a1", "b1", 1, 2),
                   {"vitals.agent.a1.results", "x"},
                   test::resultsMessage("a1", "b1", 3, 1)})
              .ok());
  CHECK(handed_at_commit == 0);
  REQUIRE(sink.handed.size() == 1);
  REQUIRE(sink.handed[0].size() == 2);  // the two stored messages, in order
  CHECK(sink.handed[0][0].get() == rig.source.handed_out[0]);
  CHECK(sink.handed[0][1].get() == rig.source.handed_out[2]);
  CHECK(rig.settled(0) == Settled::None);    // the sink acks, not the ingest thread
  CHECK(rig.settled(1) == Settled::Termed);  // garbage is still terminated at once
  CHECK(rig.store.rows.size() == 3);
}

TEST_CASE("with an ack sink, a failed commit hands nothing over and naks the batch",
          "[hub][unit][ingest]") {
  Rig rig;
  RecordingAckSink sink;
  rig.processor.setAckSink(&sink);
  rig.store.fail_commits = 1;
  REQUIRE_FALSE(rig.run({test::resultsMessage("a1", "b1", 1, 2)}).ok());
  CHECK(sink.handed.empty());
  CHECK(rig.settled(0) == Settled::Naked);
}
