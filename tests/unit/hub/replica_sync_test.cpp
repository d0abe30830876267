// StateSync and its wire format: what one replica commits reaches the other's HubState, newer
// results win whatever the arrival order, a missed update triggers a rebuild, bad input is
// dropped and counted.
#include <catch2/catch.hpp>

#include "common/log/log.hpp"
#include "hub/replica/state_sync.hpp"
#include "tests/unit/hub/test_data.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace vitals::hub::replica;

namespace {

std::shared_ptr<spdlog::logger> quiet() {
  return log::makeLogger("test", log::LogOptions{"off", log::Format::Text});
}

// One replica: its state and its StateSync, publishing into `outbox`.
struct Replica {
  std::string id;
  state::HubState state;
  metrics::Registry registry;
  std::vector<std::string> outbox;
  std::map<std::string, HealthStatus> adopted;
  int rebuilds = 0;
  StateSync sync;
  explicit Replica(std::string name)
      : id(name),
        sync(name, state,
             SyncHooks{[this](std::string_view d) {
                         outbox.emplace_back(d);
                         return okStatus();
                       },
                       [this](const std::map<std::string, HealthStatus>& r) {
                         for (const auto& [k, v] : r) {
                           adopted[k] = v;
                         }
                       },
                       [this] {
                         ++rebuilds;
                         return okStatus();
                       }},
             registry, quiet()) {}
  // Ingest commits a batch here (state applied first, as BatchProcessor does).
  void commit(const store::IngestBatch& batch) {
    for (const auto& e : batch.catalog) {
      if (const auto* reg = std::get_if<Registration>(&e)) {
        state.applyRegistration(*reg);
      }
    }
    for (const auto& r : batch.results) {
      state.applyResult(r);
    }
    sync.publishBatch(batch);
  }
  // Delivers everything this replica sent to `to` and applies it there.
  void deliverTo(Replica& to) {
    for (auto& m : outbox) {
      to.sync.enqueue(m);
    }
    outbox.clear();
    to.sync.drain();
  }
  double metric(const std::string& name) {
    const auto text = registry.render();
    const auto pos = text.find("\n" + name + " ");
    return pos == std::string::npos ? -1 : std::stod(text.substr(pos + name.size() + 2));
  }
};

store::IngestBatch batchOf(std::vector<CheckResult> results) {
  store::IngestBatch b;
  b.results = std::move(results);
  return b;
}

HealthStatus statusOf(const state::HubState& s, const std::string& service) {
  auto svc = s.service(service);
  REQUIRE(svc.has_value());
  return svc->status;
}

}  // namespace

TEST_CASE("a state update survives encoding", "[hub][unit][replica]") {
  StateUpdate u;
  u.origin = "replica-a";
  u.seq = 42;
  auto r = test::result("a1", "boot", 7, "web", "http", HealthStatus::Down);
  r.details["big"] = "left out";
  auto scan = std::make_shared<ScanReport>();
  scan->findings.resize(100);
  r.scan = scan;  // scan reports stay out too (ingest stores them)
  u.results.push_back(r);
  u.registrations.push_back(test::registration("a1", {CheckSpec{"http", "web", "http", "x"}}));
  u.alive = {"a1"};
  u.recorded = {{"web", HealthStatus::Down}};
  u.unreachable = std::vector<std::string>{"a9"};
  auto back = decodeStateUpdate(encodeStateUpdate(u));
  REQUIRE(back.ok());
  CHECK(back->origin == "replica-a");
  CHECK(back->seq == 42);
  REQUIRE(back->results.size() == 1);
  CHECK(back->results[0].status == HealthStatus::Down);
  CHECK(back->results[0].seq == 7);
  CHECK(back->results[0].details.empty());
  CHECK_FALSE(back->results[0].scan);
  REQUIRE(back->registrations.size() == 1);
  CHECK(back->registrations[0].checks.at(0).service == "web");
  CHECK(back->alive == std::vector<std::string>{"a1"});
  CHECK(back->recorded.at("web") == HealthStatus::Down);
  REQUIRE(back->unreachable.has_value());
  CHECK(*back->unreachable == std::vector<std::string>{"a9"});
}

TEST_CASE("garbage, truncated and origin-less updates are refused", "[hub][unit][replica]") {
  StateUpdate u;
  u.origin = "a";
  u.seq = 1;
  u.results.push_back(test::result("a1", "boot", 1));
  const auto good = encodeStateUpdate(u);
  CHECK_FALSE(decodeStateUpdate("garbage").ok());
  CHECK_FALSE(decodeStateUpdate(good.substr(0, good.size() / 2)).ok());
  CHECK_FALSE(decodeStateUpdate("").ok());
  StateUpdate nameless = u;
  nameless.origin.clear();
  CHECK_FALSE(decodeStateUpdate(encodeStateUpdate(nameless)).ok());
  CHECK_FALSE(decodeStateUpdate(std::string(kMaxStateUpdateBytes + 1, 'x')).ok());

  Replica b("b");
  b.sync.enqueue("garbage");
  b.sync.enqueue(good.substr(0, good.size() / 2));
  CHECK(b.sync.drain() == 0);
  CHECK(b.metric("vitals_replica_updates_invalid_total") == 2);
  CHECK(b.state.checkCount() == 0);
}

TEST_CASE("what one replica commits shows in the other's state", "[hub][unit][replica]") {
  Replica a("a"), b("b");
  store::IngestBatch first;
  first.catalog.push_back(test::registration("a1", {CheckSpec{"http", "web", "http", "x"}}));
  first.results.push_back(test::result("a1", "boot", 1, "web", "http", HealthStatus::Healthy));
  a.commit(first);
  a.deliverTo(b);
  CHECK(statusOf(b.state, "web") == HealthStatus::Healthy);
  a.commit(batchOf({test::result("a1", "boot", 2, "web", "http", HealthStatus::Down)}));
  a.deliverTo(b);
  CHECK(statusOf(b.state, "web") == HealthStatus::Down);
  CHECK(b.metric("vitals_replica_updates_applied_total") == 2);
  CHECK(b.rebuilds == 0);
}

TEST_CASE("an older result from another replica never replaces a newer one",
          "[hub][unit][replica]") {
  Replica a("a"), b("b");
  // b ingested seq 5 (down) itself; a's update with seq 4 (healthy) arrives afterwards.
  b.commit(batchOf({test::result("a1", "boot", 5, "web", "http", HealthStatus::Down)}));
  a.commit(batchOf({test::result("a1", "boot", 4, "web", "http", HealthStatus::Healthy)}));
  a.deliverTo(b);
  CHECK(statusOf(b.state, "web") == HealthStatus::Down);
  b.deliverTo(a);
  CHECK(statusOf(a.state, "web") == HealthStatus::Down);
}

TEST_CASE("statuses recorded by one replica are adopted by the other", "[hub][unit][replica]") {
  Replica a("a"), b("b");
  policy::Transition t;
  t.service = "web";
  t.to = HealthStatus::Down;
  policy::Transition group;
  group.service = policy::kAgentsGroupService;
  group.to = HealthStatus::Unknown;
  a.sync.onTransitions({t, group});
  a.commit(batchOf({test::result("a1", "boot", 1, "web", "http", HealthStatus::Down)}));
  a.deliverTo(b);
  CHECK(b.adopted == std::map<std::string, HealthStatus>{{"web", HealthStatus::Down}});
  // Sent once: the next update carries only what was recorded since.
  a.commit(batchOf({test::result("a1", "boot", 2, "web", "http", HealthStatus::Down)}));
  b.adopted.clear();
  a.deliverTo(b);
  CHECK(b.adopted.empty());
}

TEST_CASE("a missed update makes the receiver rebuild from the database", "[hub][unit][replica]") {
  Replica a("a"), b("b");
  a.commit(batchOf({test::result("a1", "boot", 1)}));
  a.deliverTo(b);
  a.commit(batchOf({test::result("a1", "boot", 2)}));
  a.outbox.clear();  // lost on the bus
  a.commit(batchOf({test::result("a1", "boot", 3)}));
  a.deliverTo(b);
  CHECK(b.rebuilds == 1);
  CHECK(b.metric("vitals_replica_gaps_total") == 1);
  CHECK(b.metric("vitals_replica_rebuilds_total") == 1);
  CHECK_FALSE(b.sync.rebuildPending());
}

TEST_CASE("a restarted sender makes the receiver rebuild (it may have died with updates unsent)",
          "[hub][unit][replica]") {
  Replica b("b");
  {
    Replica a("a");
    a.commit(batchOf({test::result("a1", "boot", 1)}));
    a.commit(batchOf({test::result("a1", "boot", 2)}));
    a.deliverTo(b);
  }
  Replica a2("a");
  a2.commit(batchOf({test::result("a1", "boot", 3)}));
  a2.deliverTo(b);
  CHECK(b.rebuilds == 1);
  CHECK(b.metric("vitals_replica_updates_applied_total") == 3);
  CHECK(b.state.service("web")->checks.at(0).seq == 3);
}

TEST_CASE("a replica ignores its own updates", "[hub][unit][replica]") {
  Replica a("a");
  a.commit(batchOf({test::result("a1", "boot", 1)}));
  REQUIRE(a.outbox.size() == 1);
  auto u = decodeStateUpdate(a.outbox[0]);
  REQUIRE(u.ok());
  CHECK_FALSE(a.sync.apply(u.value()));
}

TEST_CASE("reachability follows the sweeper's set and the agents heard from",
          "[hub][unit][replica]") {
  Replica a("a"), b("b");
  a.commit(batchOf({test::result("a1", "boot", 1, "web")}));
  a.commit(batchOf({test::result("a2", "boot", 1, "db")}));
  a.deliverTo(b);
  a.state.setUnreachable("a1", true);
  a.sync.publishSweep();
  a.deliverTo(b);
  CHECK(b.state.isUnreachable("a1"));
  CHECK(statusOf(b.state, "web") == HealthStatus::Unknown);
  // a2 is not in the set; a1 is heard from again through a's ingest.
  CHECK_FALSE(b.state.isUnreachable("a2"));
  a.state.setUnreachable("a1", false);
  a.commit(batchOf({test::result("a1", "boot", 2, "web")}));
  a.deliverTo(b);
  CHECK_FALSE(b.state.isUnreachable("a1"));
  CHECK(statusOf(b.state, "web") == HealthStatus::Healthy);
}
