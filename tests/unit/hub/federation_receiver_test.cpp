// Summary validation, the global view and the receiver (staleness on a ManualTime, drops counted,
// watched hubs reported to the alert path), over a fake store.
#include <spdlog/logger.h>

#include <catch2/catch.hpp>

#include "common/time/manual_time.hpp"
#include "hub/federation/federation_config.hpp"
#include "hub/federation/federation_receiver.hpp"
#include "hub/federation/summary_codec.hpp"
#include "hub/federation/summary_validator.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace vitals::hub::federation;
using namespace std::chrono_literals;

namespace {

struct FakeFederationStore final : FederationStore {
  Status save(const RemoteHub& hub, const std::vector<RemoteService>& upserted,
              const std::vector<std::string>& removed) override {
    if (fail) {
      return Error{"db.unavailable", "down", {}};
    }
    hubs[hub.id] = hub;
    for (const auto& s : upserted) {
      services[{s.hub_id, s.summary.name}] = s;
    }
    for (const auto& r : removed) {
      services.erase({hub.id, r});
    }
    ++saves;
    return okStatus();
  }
  Result<Snapshot> load() override {
    Snapshot s;
    for (const auto& [id, h] : hubs) {
      s.hubs.push_back(h);
    }
    for (const auto& [key, svc] : services) {
      s.services.push_back(svc);
    }
    return s;
  }
  bool fail = false;
  int saves = 0;
  std::map<std::string, RemoteHub> hubs;
  std::map<std::pair<std::string, std::string>, RemoteService> services;
};

ServiceSummary svc(const std::string& name, HealthStatus status) {
  ServiceSummary s;
  s.name = name;
  s.type = "http";
  s.status = status;
  return s;
}

HubSummary summary(const std::string& hub, std::uint64_t seq, SystemTime at, bool full,
                   std::vector<ServiceSummary> services) {
  HubSummary s;
  s.hub_id = hub;
  s.timestamp = at;
  s.full = full;
  s.sequence = seq;
  s.overall_status = "healthy";
  s.services = std::move(services);
  s.service_count = static_cast<std::uint32_t>(s.services.size());
  s.url = "https://" + hub + ".example";
  s.summary_interval = 1s;
  return s;
}

struct Rig {
  ManualTime time;
  GlobalView view;
  FakeFederationStore store;
  metrics::Registry registry;
  std::vector<policy::Transition> reported;
  std::vector<std::pair<std::string, std::string>> changes;  // (hub, change)
  FederationSettings settings = [] {
    FederationSettings s;
    s.enabled = true;
    s.summary_interval = 1s;
    s.stale_after = 3s;
    s.alert_on = {"site-b"};
    return s;
  }();
  FederationReceiver receiver{"site-a",
                              settings,
                              time,
                              time,
                              view,
                              store,
                              registry,
                              std::make_shared<spdlog::logger>("null"),
                              [this](const policy::Transition& t) { reported.push_back(t); },
                              [this](const RemoteHub& h, std::string_view change) {
                                changes.emplace_back(h.id, std::string(change));
                              }};

  void send(const HubSummary& s) {
    receiver.onMessage("hub." + s.hub_id + ".health.summary", encodeSummary(s));
  }
};

}  // namespace

TEST_CASE("the validator drops each kind of bad summary with its own reason",
          "[hub][unit][federation]") {
  FederationSettings limits;
  limits.max_summary_bytes = 4096;
  const SystemTime now{std::chrono::seconds{1'800'000'000}};
  const auto good = summary("site-b", 1, now, true, {svc("api", HealthStatus::Healthy)});
  const std::string subject = "hub.site-b.health.summary";
  REQUIRE(validateSummary(subject, encodeSummary(good), "site-a", now, limits).ok());

  auto reason = [&](std::string_view subj, const std::string& data) {
    auto r = validateSummary(subj, data, "site-a", now, limits);
    return r.ok() ? std::string("accepted") : r.error().code;
  };
  CHECK(reason(subject, std::string(5000, 'x')) == "oversized");
  CHECK(reason("hub.site-b.health.api", encodeSummary(good)) == "subject");
  CHECK(reason(subject, "\xff\xff\xff\xff garbage") == "decode");
  const std::string bytes = encodeSummary(good);
  CHECK(reason(subject, bytes.substr(0, bytes.size() / 2)) != "accepted");  // truncated
  auto wrong = good;
  wrong.hub_id = "site-c";
  CHECK(reason(subject, encodeSummary(wrong)) == "wrong_id");
  auto own = good;
  own.hub_id = "site-a";
  CHECK(reason("hub.site-a.health.summary", encodeSummary(own)) == "own_id");
  auto future = good;
  future.timestamp = now + 10min;
  CHECK(reason(subject, encodeSummary(future)) == "future");
  auto old = good;
  old.timestamp = now - 1h;
  CHECK(reason(subject, encodeSummary(old)) == "too_old");
  auto miscount = good;
  miscount.service_count = 7;
  CHECK(reason(subject, encodeSummary(miscount)) == "incomplete");
  auto noseq = good;
  noseq.sequence = 0;
  CHECK(reason(subject, encodeSummary(noseq)) == "incomplete");
}

TEST_CASE("every truncation of a summary is dropped, never applied", "[hub][unit][federation]") {
  FederationSettings limits;
  const SystemTime now{std::chrono::seconds{1'800'000'000}};
  const auto good = summary("site-b", 3, now, true,
                            {svc("api", HealthStatus::Healthy), svc("db", HealthStatus::Down)});
  const std::string bytes = encodeSummary(good);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO("first " << n << " of " << bytes.size() << " bytes");
    CHECK_FALSE(
        validateSummary("hub.site-b.health.summary", bytes.substr(0, n), "site-a", now, limits)
            .ok());
  }
}

TEST_CASE("a remote hub's services reach the global view and the store",
          "[hub][unit][federation]") {
  Rig rig;
  rig.receiver.start();
  rig.send(summary("site-b", 1, rig.time.now(), true,
                   {svc("api", HealthStatus::Healthy), svc("db", HealthStatus::Healthy)}));
  auto hub = rig.view.hub("site-b");
  REQUIRE(hub);
  CHECK(hub->services_total == 2);
  CHECK(hub->url == "https://site-b.example");
  CHECK_FALSE(hub->stale);
  CHECK(rig.store.services.size() == 2);

  // A delta: db down.
  auto d = summary("site-b", 2, rig.time.now(), false, {svc("db", HealthStatus::Down)});
  d.service_count = 2;
  rig.send(d);
  ServiceFilter down;
  down.status = HealthStatus::Down;
  const auto downs = rig.view.services(down);
  REQUIRE(downs.size() == 1);
  CHECK(downs[0].summary.name == "db");
  CHECK(rig.store.services.at({"site-b", "db"}).summary.status == HealthStatus::Down);
  CHECK(rig.view.hub("site-b")->services_down == 1);
}

TEST_CASE("after a missed delta, deltas are ignored until the next full summary",
          "[hub][unit][federation]") {
  Rig rig;
  rig.receiver.start();
  rig.send(summary("site-b", 1, rig.time.now(), true, {svc("api", HealthStatus::Healthy)}));
  rig.send(
      summary("site-b", 3, rig.time.now(), false, {svc("api", HealthStatus::Down)}));  // 2 lost
  rig.send(summary("site-b", 4, rig.time.now(), false, {svc("api", HealthStatus::Degraded)}));
  CHECK(rig.receiver.dropped("gap") == 2);
  CHECK(rig.view.services({})[0].summary.status == HealthStatus::Healthy);
  rig.send(summary("site-b", 5, rig.time.now(), true, {svc("api", HealthStatus::Down)}));
  CHECK(rig.view.services({})[0].summary.status == HealthStatus::Down);
  rig.send(summary("site-b", 6, rig.time.now(), false, {svc("api", HealthStatus::Healthy)}));
  CHECK(rig.view.services({})[0].summary.status == HealthStatus::Healthy);
}

TEST_CASE("a full summary replaces the hub's services (a vanished one is removed)",
          "[hub][unit][federation]") {
  Rig rig;
  rig.receiver.start();
  rig.send(summary("site-b", 1, rig.time.now(), true,
                   {svc("api", HealthStatus::Healthy), svc("db", HealthStatus::Healthy)}));
  rig.send(summary("site-b", 2, rig.time.now(), true, {svc("api", HealthStatus::Healthy)}));
  CHECK(rig.view.services({}).size() == 1);
  CHECK(rig.store.services.size() == 1);
}

TEST_CASE("a hub whose summaries stop is stale after stale_after, and fresh when heard again",
          "[hub][unit][federation]") {
  Rig rig;
  rig.receiver.start();
  rig.send(summary("site-b", 1, rig.time.now(), true, {svc("api", HealthStatus::Healthy)}));
  rig.time.advance(2900ms);
  CHECK_FALSE(rig.view.hub("site-b")->stale);
  rig.time.advance(200ms);
  CHECK(rig.view.hub("site-b")->stale);
  CHECK(rig.store.hubs.at("site-b").stale);
  // Last heard is kept: the registry says since when it is silent.
  CHECK(rig.view.hub("site-b")->last_heard_at == rig.time.now() - 3100ms);
  // Its services stay in the view, marked through their hub.
  CHECK(rig.view.services({}).size() == 1);
  rig.send(summary("site-b", 1, rig.time.now(), true, {svc("api", HealthStatus::Healthy)}));
  CHECK_FALSE(rig.view.hub("site-b")->stale);
}

TEST_CASE("a watched hub going stale or down is reported for an incident, others are not",
          "[hub][unit][federation]") {
  Rig rig;
  rig.receiver.start();
  rig.send(summary("site-b", 1, rig.time.now(), true, {svc("api", HealthStatus::Healthy)}));
  rig.send(summary("site-c", 1, rig.time.now(), true, {svc("api", HealthStatus::Healthy)}));
  REQUIRE(rig.reported.size() == 1);
  CHECK(rig.reported[0].service == "hub:site-b");
  CHECK(rig.reported[0].to == HealthStatus::Healthy);
  rig.time.advance(4s);  // both silent
  REQUIRE(rig.reported.size() == 2);
  CHECK(rig.reported[1].service == "hub:site-b");
  CHECK(rig.reported[1].from == HealthStatus::Healthy);
  CHECK(rig.reported[1].to == HealthStatus::Down);
  CHECK(rig.reported[1].reason.find("no summary") != std::string::npos);
  auto back = summary("site-b", 1, rig.time.now(), true, {svc("api", HealthStatus::Healthy)});
  rig.send(back);
  REQUIRE(rig.reported.size() == 3);
  CHECK(rig.reported[2].to == HealthStatus::Healthy);
  auto down = summary("site-b", 2, rig.time.now(), true, {svc("api", HealthStatus::Down)});
  down.overall_status = "down";
  rig.send(down);
  REQUIRE(rig.reported.size() == 4);
  CHECK(rig.reported[3].to == HealthStatus::Down);
}

TEST_CASE("bad summaries are counted in /metrics and leave the view untouched",
          "[hub][unit][federation]") {
  Rig rig;
  rig.receiver.start();
  rig.send(summary("site-b", 1, rig.time.now(), true, {svc("api", HealthStatus::Healthy)}));
  const auto before = rig.view.services({});
  rig.receiver.onMessage("hub.site-b.health.summary", "garbage");
  rig.receiver.onMessage("hub.site-c.health.summary",
                         encodeSummary(summary("site-b", 2, rig.time.now(), true, {})));
  rig.receiver.onMessage("hub.site-a.health.summary",
                         encodeSummary(summary("site-a", 2, rig.time.now(), true, {})));
  rig.receiver.onMessage("hub.site-b.health.summary",
                         encodeSummary(summary("site-b", 2, rig.time.now() + 1h, true, {})));
  rig.receiver.onMessage("hub.site-b.health.summary",
                         encodeSummary(summary("site-b", 2, rig.time.now() - 24h, true, {})));
  rig.receiver.onMessage("hub.site-b.health.summary", std::string(5 << 20, '\0'));
  CHECK(rig.view.services({}) == before);
  CHECK(rig.view.hubs().size() == 1);
  const std::string m = rig.registry.render();
  for (const char* r : {"decode", "wrong_id", "own_id", "future", "too_old", "oversized"}) {
    INFO(r);
    CHECK(m.find(std::string("vitals_federation_dropped_total{reason=\"") + r + "\"} 1") !=
          std::string::npos);
  }
}

TEST_CASE("a store failure keeps the memory view right and is counted", "[hub][unit][federation]") {
  Rig rig;
  rig.receiver.start();
  rig.store.fail = true;
  rig.send(summary("site-b", 1, rig.time.now(), true, {svc("api", HealthStatus::Healthy)}));
  CHECK(rig.view.services({}).size() == 1);
  CHECK(rig.registry.render().find("vitals_federation_store_errors_total 1") != std::string::npos);
}

TEST_CASE("a restart restores the stored hubs as stale until they are heard again",
          "[hub][unit][federation]") {
  Rig first;
  first.receiver.start();
  first.send(summary("site-b", 1, first.time.now(), true, {svc("api", HealthStatus::Down)}));
  Rig second;
  second.store.hubs = first.store.hubs;
  second.store.services = first.store.services;
  second.receiver.start();
  REQUIRE(second.view.hub("site-b"));
  CHECK(second.view.hub("site-b")->stale);
  CHECK(second.view.services({}).size() == 1);
  // A delta cannot be applied on top of restored rows.
  second.send(summary("site-b", 2, second.time.now(), false, {svc("api", HealthStatus::Healthy)}));
  CHECK(second.receiver.dropped("gap") == 1);
  CHECK_FALSE(second.view.hub("site-b")->stale);  // but the hub is alive
}

TEST_CASE("federation config: defaults, and every bad value named", "[hub][unit][federation]") {
  config::Problems problems;
  {
    auto root = config::YamlReader::loadString("summary_interval: 2s\n", "hub.yaml", problems);
    REQUIRE(root);
    FederationSettings s;
    readFederationSettings(*root, "site-a", s);
    CHECK(problems.list().empty());
    CHECK(s.summary_interval == 2s);
    CHECK(s.stale_after == 6s);  // 3 intervals
    CHECK_FALSE(s.enabled);
  }
  auto root = config::YamlReader::loadString(
      "enabled: true\nsummary_interval: 10s\nstale_after: 5s\nurl: ftp://x\n"
      "alert_on: [site-a, 'bad id', site-b, site-b]\nbogus: 1\n",
      "hub.yaml", problems);
  REQUIRE(root);
  FederationSettings s;
  readFederationSettings(*root, "site-a", s);
  const std::string text = problems.format();
  CHECK(text.find("stale_after") != std::string::npos);
  CHECK(text.find("url") != std::string::npos);
  CHECK(text.find("names this hub") != std::string::npos);
  CHECK(text.find("is not a hub id") != std::string::npos);
  CHECK(text.find("twice") != std::string::npos);
  CHECK(text.find("bogus") != std::string::npos);
}

TEST_CASE(
    "stream events for a remote hub come when it is heard, changes, goes stale or "
    "registers, not for every summary",
    "[hub][unit][federation]") {
  Rig rig;
  rig.receiver.start();
  using C = std::vector<std::pair<std::string, std::string>>;
  rig.send(summary("site-b", 1, rig.time.now(), true, {svc("api", HealthStatus::Healthy)}));
  CHECK(rig.changes == C{{"site-b", "heard"}});
  // The same picture a second later: nothing to tell.
  rig.time.advance(1s);
  rig.send(summary("site-b", 2, rig.time.now(), true, {svc("api", HealthStatus::Healthy)}));
  CHECK(rig.changes.size() == 1);
  auto down = summary("site-b", 3, rig.time.now(), true, {svc("api", HealthStatus::Down)});
  down.overall_status = "down";
  rig.send(down);
  CHECK(rig.changes.back() == std::pair<std::string, std::string>{"site-b", "updated"});
  rig.time.advance(4s);
  CHECK(rig.changes.back() == std::pair<std::string, std::string>{"site-b", "stale"});
  rig.send(summary("site-b", 4, rig.time.now(), true, {svc("api", HealthStatus::Healthy)}));
  CHECK(rig.changes.back() == std::pair<std::string, std::string>{"site-b", "heard"});
  REQUIRE(rig.receiver.announce("site-c", "https://c.example", "1.0", {"summary"}).ok());
  CHECK(rig.changes.back() == std::pair<std::string, std::string>{"site-c", "registered"});
  CHECK(rig.changes.size() == 5);
}
