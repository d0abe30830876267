// SummaryPublisher on a ManualTime: full summaries every interval, deltas coalesced to one per
// second after transitions, catalog events, and silence while not active.
#include <spdlog/logger.h>

#include <catch2/catch.hpp>

#include "common/time/manual_time.hpp"
#include "hub/federation/summary_codec.hpp"
#include "hub/federation/summary_publisher.hpp"
#include "tests/unit/hub/test_data.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace vitals::hub::federation;
using namespace std::chrono_literals;

namespace {

struct Rig {
  ManualTime time;
  state::HubState state;
  metrics::Registry registry;
  std::vector<std::pair<std::string, std::string>> sent;
  bool active = true;
  std::uint64_t seq = 0;
  SummaryPublisher publisher{state,
                             time,
                             time,
                             [this](const std::string& subject, std::string_view data) {
                               sent.emplace_back(subject, std::string(data));
                               return okStatus();
                             },
                             [] { return Result<std::uint32_t>(2u); },
                             PublisherSettings{"site-a", "1.0", "https://a.example", 30s, 1s},
                             registry,
                             std::make_shared<spdlog::logger>("null"),
                             [this] { return active; }};

  Rig() {
    state.applyRegistration(
        test::registration("a1", {test::spec("api-check", "api"), test::spec("db-check", "db")}));
    setStatus("api", "api-check", HealthStatus::Healthy);
    setStatus("db", "db-check", HealthStatus::Healthy);
  }
  void setStatus(const std::string& service, const std::string& check, HealthStatus st) {
    REQUIRE(state.applyResult(test::result("a1", "boot", ++seq, service, check, st)));
  }
  void transition(const std::string& service) {
    policy::Transition t;
    t.service = service;
    publisher.onTransitions({t});
  }
  std::vector<HubSummary> summaries(const std::string& subject = "hub.site-a.health.summary") {
    std::vector<HubSummary> out;
    for (const auto& [subj, data] : sent) {
      if (subj == subject) {
        auto d = decodeSummary(data);
        REQUIRE(d.ok());
        out.push_back(d.value());
      }
    }
    return out;
  }
  std::size_t count(const std::string& subject) const {
    std::size_t n = 0;
    for (const auto& [subj, data] : sent) {
      n += subj == subject ? 1 : 0;
    }
    return n;
  }
};

}  // namespace

TEST_CASE("start sends a full summary at once on both subjects, then one every interval",
          "[hub][unit][federation]") {
  Rig rig;
  rig.publisher.start();
  CHECK(rig.count("hub.site-a.health.summary") == 1);
  CHECK(rig.count("hub.global.health") == 1);
  auto first = rig.summaries();
  REQUIRE(first.size() == 1);
  CHECK(first[0].full);
  CHECK(first[0].services.size() == 2);
  CHECK(first[0].open_incidents == 2);
  CHECK(first[0].agents_total == 1);
  CHECK(first[0].agents_online == 1);
  CHECK(first[0].summary_interval == 30s);
  rig.time.advance(29s);
  CHECK(rig.summaries().size() == 1);
  rig.time.advance(1s);
  CHECK(rig.summaries().size() == 2);
  rig.time.advance(60s);
  CHECK(rig.summaries().size() == 4);
}

TEST_CASE("status changes within a second go out as one delta of the changed services",
          "[hub][unit][federation]") {
  Rig rig;
  rig.publisher.start();
  rig.setStatus("db", "db-check", HealthStatus::Down);
  rig.transition("db");
  rig.time.advance(300ms);
  rig.setStatus("api", "api-check", HealthStatus::Degraded);
  rig.transition("api");
  rig.time.advance(700ms);
  auto all = rig.summaries();
  REQUIRE(all.size() == 2);
  const auto& d = all[1];
  CHECK_FALSE(d.full);
  CHECK(d.sequence == all[0].sequence + 1);
  CHECK(d.services.size() == 2);
  // No change, no delta.
  rig.time.advance(5s);
  CHECK(rig.summaries().size() == 2);
}

TEST_CASE("a new service is announced as registered", "[hub][unit][federation]") {
  Rig rig;
  rig.publisher.start();
  rig.state.applyRegistration(
      test::registration("a1", {test::spec("api-check", "api"), test::spec("db-check", "db"),
                                test::spec("q-check", "queue")}));
  rig.setStatus("queue", "q-check", HealthStatus::Healthy);
  rig.transition("queue");
  rig.time.advance(1s);
  REQUIRE(rig.count("hub.site-a.service.registered") == 1);
  auto e = decodeCatalogEvent(rig.sent.back().second, CatalogChange::Registered);
  REQUIRE(e.ok());
  CHECK(e->service == "queue");
  CHECK(e->agent_id == "a1");
}

TEST_CASE("a service whose last check a registration dropped is announced as deregistered",
          "[hub][unit][federation][lifecycle]") {
  Rig rig;
  rig.publisher.start();
  rig.state.applyRegistration(test::registration("a1", {test::spec("api-check", "api")}));
  REQUIRE_FALSE(rig.state.service("db").has_value());
  policy::Transition removed;  // what the status tracker records for it
  removed.service = "db";
  removed.cause = policy::Cause::Removed;
  rig.publisher.onTransitions({removed});
  rig.time.advance(1s);
  REQUIRE(rig.count("hub.site-a.service.deregistered") == 1);
  auto e = decodeCatalogEvent(rig.sent.back().second, CatalogChange::Deregistered);
  REQUIRE(e.ok());
  CHECK(e->service == "db");
}

TEST_CASE("an inactive replica publishes nothing, on becoming active it starts with a full one",
          "[hub][unit][federation]") {
  Rig rig;
  rig.active = false;
  rig.publisher.start();
  rig.transition("db");
  rig.time.advance(60s);
  CHECK(rig.sent.empty());
  rig.active = true;
  rig.transition("db");
  rig.time.advance(1s);
  CHECK(rig.sent.empty());  // a delta needs a baseline first
  rig.time.advance(29s);
  auto all = rig.summaries();
  REQUIRE(all.size() == 1);
  CHECK(all[0].full);
  CHECK(rig.count("hub.site-a.service.registered") == 0);  // a baseline, not new services
}

TEST_CASE("summary counters are exported", "[hub][unit][federation]") {
  Rig rig;
  rig.publisher.start();
  const auto m = rig.registry.render();
  CHECK(m.find("vitals_federation_summaries_total{kind=\"full\"} 1") != std::string::npos);
  CHECK(m.find("vitals_federation_summary_bytes_total ") != std::string::npos);
}
