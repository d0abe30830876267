// SummaryBuilder (full/delta/catalog) and the summary codec.
#include <catch2/catch.hpp>

#include "hub/federation/summary_builder.hpp"
#include "hub/federation/summary_codec.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace vitals::hub::federation;
using namespace std::chrono_literals;

namespace {

SystemTime t0() { return SystemTime{std::chrono::seconds{1'800'000'000}}; }

state::ServiceState service(const std::string& name, HealthStatus status,
                            const std::string& target = "", const std::string& agent = "a1") {
  state::ServiceState s;
  s.name = name;
  s.status = status;
  s.latency = 12'500us;
  s.agent = agent;
  state::CheckState c;
  c.agent_id = agent;
  c.name = "probe";
  c.service = name;
  c.kind = "http";
  c.target = target.empty() ? "http://" + name + ".example/health" : target;
  c.status = status;
  s.checks.push_back(c);
  return s;
}

SummaryHeader header(SystemTime now) {
  SummaryHeader h;
  h.hub_id = "site-a";
  h.version = "1.2.3";
  h.url = "https://a.example";
  h.interval = 30s;
  h.now = now;
  return h;
}

}  // namespace

TEST_CASE("overall status: healthy only when every service is up, down only when all are down",
          "[hub][unit][federation]") {
  using enum HealthStatus;
  CHECK(overallStatus({}) == "unknown");
  CHECK(overallStatus({Healthy, Healthy}) == "healthy");
  CHECK(overallStatus({Healthy, Down}) == "degraded");
  CHECK(overallStatus({Healthy, Unknown}) == "degraded");
  CHECK(overallStatus({Down, Down}) == "down");
}

TEST_CASE("a full summary describes every service and counts them", "[hub][unit][federation]") {
  SummaryBuilder b;
  const auto built = b.full(
      header(t0()), {service("api", HealthStatus::Healthy), service("db", HealthStatus::Down)});
  const auto& s = built.summary;
  CHECK(s.full);
  CHECK(s.sequence == 1);
  CHECK(s.service_count == 2);
  REQUIRE(s.services.size() == 2);
  CHECK(s.services[0].name == "api");
  CHECK(s.services[0].type == "http");
  CHECK(s.services[0].latency_ms == 12);
  CHECK(s.services[0].endpoints == std::vector<std::string>{"http://api.example/health"});
  CHECK(s.services[0].endpoints_healthy == 1);
  CHECK(s.services[1].endpoints_healthy == 0);
  CHECK(s.overall_status == "degraded");
  CHECK(s.url == "https://a.example");
  CHECK(built.catalog.empty());  // the first full summary is the baseline
}

TEST_CASE("a delta carries only the services whose status changed, with the next sequence",
          "[hub][unit][federation]") {
  SummaryBuilder b;
  (void)b.full(header(t0()),
               {service("api", HealthStatus::Healthy), service("db", HealthStatus::Healthy),
                service("web", HealthStatus::Healthy)});
  // db went down; web is a candidate (latency changed) but kept its status.
  auto web = service("web", HealthStatus::Healthy);
  web.latency = 900'000us;
  const auto d =
      b.delta(header(t0() + 1s), {"db", "web"}, {service("db", HealthStatus::Down), web});
  REQUIRE(d);
  CHECK_FALSE(d->summary.full);
  CHECK(d->summary.sequence == 2);
  REQUIRE(d->summary.services.size() == 1);
  CHECK(d->summary.services[0].name == "db");
  CHECK(d->summary.services[0].status == HealthStatus::Down);
  CHECK(d->summary.service_count == 3);
  CHECK(d->summary.overall_status == "degraded");
  // Nothing changed since: no delta at all.
  CHECK_FALSE(b.delta(header(t0() + 2s), {"db"}, {service("db", HealthStatus::Down)}));
  CHECK(b.sequence() == 2);
}

TEST_CASE("catalog events: a new service is registered, a vanished one deregistered",
          "[hub][unit][federation]") {
  SummaryBuilder b;
  (void)b.full(header(t0()), {service("api", HealthStatus::Healthy)});
  const auto d = b.delta(header(t0() + 1s), {"api", "cache"},
                         {service("cache", HealthStatus::Healthy, "", "a2")});
  REQUIRE(d);
  CHECK(d->summary.removed_services == std::vector<std::string>{"api"});
  REQUIRE(d->catalog.size() == 2);
  CHECK(d->catalog[0] ==
        CatalogEvent{CatalogChange::Registered, "site-a", "cache", "a2", t0() + 1s});
  CHECK(d->catalog[1].change == CatalogChange::Deregistered);
  CHECK(d->catalog[1].service == "api");
  // The next full summary finds a service that appeared without a transition.
  const auto f = b.full(header(t0() + 30s), {service("cache", HealthStatus::Healthy),
                                             service("queue", HealthStatus::Healthy)});
  REQUIRE(f.catalog.size() == 1);
  CHECK(f.catalog[0].service == "queue");
}

TEST_CASE("uptime counts from the moment a service entered its up status",
          "[hub][unit][federation]") {
  SummaryBuilder b;
  (void)b.full(header(t0()), {service("api", HealthStatus::Down)});
  (void)b.delta(header(t0() + 10s), {"api"}, {service("api", HealthStatus::Healthy)});
  const auto f = b.full(header(t0() + 70s), {service("api", HealthStatus::Healthy)});
  REQUIRE(f.summary.services.size() == 1);
  CHECK(f.summary.services[0].uptime_seconds == 60);
}

TEST_CASE("after reset() the builder starts a new baseline without catalog events",
          "[hub][unit][federation]") {
  SummaryBuilder b;
  (void)b.full(header(t0()), {service("api", HealthStatus::Healthy)});
  b.reset();
  CHECK_FALSE(b.delta(header(t0() + 1s), {"api"}, {service("api", HealthStatus::Down)}));
  const auto f = b.full(header(t0() + 2s), {service("api", HealthStatus::Healthy),
                                            service("db", HealthStatus::Healthy)});
  CHECK(f.catalog.empty());
  CHECK(f.summary.sequence == 2);  // sequences keep counting: receivers see no reuse
}

TEST_CASE("a summary survives encode and decode unchanged", "[hub][unit][federation]") {
  SummaryBuilder b;
  auto built = b.full(
      header(t0()), {service("api", HealthStatus::Healthy), service("db", HealthStatus::Degraded)});
  built.summary.agents_online = 3;
  built.summary.agents_total = 4;
  built.summary.open_incidents = 2;
  built.summary.removed_services = {"gone"};
  const auto decoded = decodeSummary(encodeSummary(built.summary));
  REQUIRE(decoded.ok());
  CHECK(decoded.value() == built.summary);
}

TEST_CASE("a catalog event survives encode and decode", "[hub][unit][federation]") {
  const CatalogEvent e{CatalogChange::Deregistered, "site-a", "api", "a1", t0()};
  const auto d = decodeCatalogEvent(encodeCatalogEvent(e), CatalogChange::Deregistered);
  REQUIRE(d.ok());
  CHECK(d.value() == e);
}

TEST_CASE("a service status outside the seed's words is refused by the decoder",
          "[hub][unit][federation]") {
  HubSummary s;
  s.hub_id = "x";
  s.overall_status = "healthy";
  s.services.push_back({});
  std::string bytes = encodeSummary(s);
  // Replace the encoded status "unknown" with "bogus!!" (same length).
  const auto at = bytes.find("unknown");
  REQUIRE(at != std::string::npos);
  bytes.replace(at, 7, "bogus!!");
  const auto d = decodeSummary(bytes);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().code == "federation.decode");
}
