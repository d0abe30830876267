// FederationHandler: the registry, the global view with filters, and registration.
#include <catch2/catch.hpp>

#include "common/time/manual_time.hpp"
#include "hub/api/federation_handler.hpp"
#include "tests/unit/hub/test_data.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace std::chrono_literals;

namespace {

struct Rig {
  ManualTime time;
  state::HubState state;
  federation::GlobalView view;
  std::vector<std::string> announced;
  api::FederationHandler handler{
      "site-a", state, view,
      [this](const std::string& id, const std::string& url, const std::string& version,
             const std::vector<std::string>& caps) -> Result<federation::RemoteHub> {
        announced.push_back(id);
        return view.announce(id, url, version, caps, time.now());
      },
      time};

  Rig() {
    state.applyRegistration(test::registration("a1", {test::spec("c", "local-api")}));
    REQUIRE(state.applyResult(test::result("a1", "boot", 1, "local-api", "c")));
    federation::HubSummary s;
    s.hub_id = "site-b";
    s.timestamp = time.now();
    s.full = true;
    s.sequence = 1;
    s.overall_status = "degraded";
    federation::ServiceSummary up;
    up.name = "web";
    up.status = HealthStatus::Healthy;
    federation::ServiceSummary down;
    down.name = "db";
    down.status = HealthStatus::Down;
    s.services = {up, down};
    s.service_count = 2;
    (void)view.apply(s, time.now(), time.steadyNow());
  }
  api::ApiRequest get(std::vector<std::pair<std::string, std::string>> query = {},
                      std::map<std::string, std::string> params = {}) {
    api::ApiRequest r;
    r.method = "GET";
    r.query = std::move(query);
    r.path_params = std::move(params);
    return r;
  }
};

}  // namespace

TEST_CASE("GET federation/hubs lists the remote hubs with counts and staleness",
          "[hub][unit][federation][api]") {
  Rig rig;
  const auto r = rig.handler.hubs(rig.get());
  REQUIRE(r.status == 200);
  CHECK(r.body["hub_id"] == "site-a");
  REQUIRE(r.body["hubs"].size() == 1);
  const auto& h = r.body["hubs"][0];
  CHECK(h["id"] == "site-b");
  CHECK(h["stale"] == false);
  CHECK(h["services"]["down"] == 1);
  CHECK(h["overall_status"] == "degraded");
}

TEST_CASE("GET federation/hubs/{id} shows one hub and its services, unknown is 404",
          "[hub][unit][federation][api]") {
  Rig rig;
  const auto r = rig.handler.hub(rig.get({}, {{"id", "site-b"}}));
  REQUIRE(r.status == 200);
  CHECK(r.body["service_list"].size() == 2);
  CHECK(rig.handler.hub(rig.get({}, {{"id", "nope"}})).status == 404);
}

TEST_CASE("GET federation/services holds local and remote services, filtered by status and hub",
          "[hub][unit][federation][api]") {
  Rig rig;
  auto all = rig.handler.services(rig.get());
  REQUIRE(all.status == 200);
  CHECK(all.body["services"].size() == 3);
  CHECK(all.body["services"][0]["hub"] == "site-a");
  auto down = rig.handler.services(rig.get({{"status", "down"}}));
  REQUIRE(down.body["services"].size() == 1);
  CHECK(down.body["services"][0]["name"] == "db");
  auto up = rig.handler.services(rig.get({{"status", "up"}}));
  CHECK(up.body["services"].size() == 2);
  auto local = rig.handler.services(rig.get({{"hub", "site-a"}}));
  REQUIRE(local.body["services"].size() == 1);
  CHECK(local.body["services"][0]["name"] == "local-api");
  CHECK(rig.handler.services(rig.get({{"status", "sideways"}})).status == 400);
  CHECK(rig.handler.services(rig.get({{"hub", "a.b"}})).status == 400);
}

TEST_CASE("POST federation/register records a hub, bad bodies are 400 with the reason",
          "[hub][unit][federation][api]") {
  Rig rig;
  api::ApiRequest r;
  r.method = "POST";
  r.body =
      R"({"hub_id":"site-c","url":"https://c.example","version":"1.0","capabilities":["summary"]})";
  const auto ok = rig.handler.registerHub(r);
  REQUIRE(ok.status == 200);
  CHECK(ok.body["id"] == "site-c");
  CHECK(ok.body["stale"] == true);  // not heard on the bus yet
  CHECK(rig.view.hub("site-c")->url == "https://c.example");
  for (const char* body :
       {"[]", R"({"url":"https://c"})", R"({"hub_id":"site-a","url":"https://c"})",
        R"({"hub_id":"x y","url":"https://c"})", R"({"hub_id":"c","url":"ftp://c"})",
        R"({"hub_id":"c","url":"https://c","extra":1})",
        R"({"hub_id":"c","url":"https://c","capabilities":[1]})"}) {
    INFO(body);
    r.body = body;
    const auto bad = rig.handler.registerHub(r);
    CHECK(bad.status == 400);
    CHECK(bad.body["error"]["code"] == "bad_request");
  }
  CHECK(rig.announced.size() == 1);
}
