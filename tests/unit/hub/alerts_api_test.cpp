// /api/v1/alerts/configs and /api/v1/notifications through the router, on fakes.
#include <catch2/catch.hpp>

#include "common/time/manual_time.hpp"
#include "hub/api/routes.hpp"
#include "tests/unit/hub/fakes/fake_alert_store.hpp"
#include "tests/unit/hub/fakes/fake_read_store.hpp"
#include "tests/unit/hub/fakes/fake_status_store.hpp"

using namespace vitals;
using namespace vitals::hub;

namespace {

struct Api {
  ManualTime time;
  state::HubState state;
  test::FakeReadStore store;
  metrics::Registry registry;
  api::ServicesHandler services{state, store, time};
  api::AgentsHandler agents{store, time};
  api::OpsHandler ops{{}, registry};
  test::FakeStatusStore uptime_store;
  api::UptimeHandler uptime{state, uptime_store, time, 0.5};
  test::FakeAlertConfigStore configs;
  test::FakeOutboxReader outbox;
  api::AlertsHandler alerts{configs, outbox, {"ops-webhook", "team-slack"}, time};
  api::Router router = api::buildRouter({services, agents, ops, uptime, &alerts});

  api::ApiResponse call(const std::string& method, const std::string& path,
                        const std::string& body = {},
                        std::vector<std::pair<std::string, std::string>> query = {}) {
    return router.dispatch(method, path, query, body);
  }
};

}  // namespace

TEST_CASE("alert config is created, read, replaced, listed and deleted", "[hub][unit][api]") {
  Api a;
  auto r = a.call("PUT", "/api/v1/alerts/configs/checkout",
                  R"({"channels":["ops-webhook","team-slack"],"escalation_delay_seconds":300,)"
                  R"("min_severity":"down","recovery_notice":false})");
  REQUIRE(r.status == 201);
  CHECK(r.body["service"] == "checkout");
  CHECK(r.body["channels"] == nlohmann::json({"ops-webhook", "team-slack"}));
  CHECK(r.body["escalation_delay_seconds"] == 300);
  CHECK(r.body["suppression_window_seconds"] == 3600);  // default
  CHECK(r.body["recovery_notice"] == false);
  CHECK(r.body["enabled"] == true);

  r = a.call("GET", "/api/v1/alerts/configs/checkout");
  REQUIRE(r.status == 200);
  CHECK(r.body["min_severity"] == "down");
  // A GET body can be PUT back.
  r = a.call("PUT", "/api/v1/alerts/configs/checkout", r.body.dump());
  CHECK(r.status == 200);
  r = a.call("PUT", "/api/v1/alerts/configs/payments", R"({"channels":["team-slack"]})");
  CHECK(r.status == 201);
  r = a.call("GET", "/api/v1/alerts/configs");
  REQUIRE(r.status == 200);
  REQUIRE(r.body["configs"].size() == 2);
  CHECK(r.body["configs"][0]["service"] == "checkout");

  r = a.call("DELETE", "/api/v1/alerts/configs/checkout");
  CHECK(r.status == 204);
  CHECK(a.call("GET", "/api/v1/alerts/configs/checkout").status == 404);
  CHECK(a.call("DELETE", "/api/v1/alerts/configs/checkout").status == 404);
}

TEST_CASE("alert config bodies are validated and the field is named", "[hub][unit][api]") {
  Api a;
  const std::pair<std::string, std::string> cases[] = {
      {R"({"channels":["pager"]})", "channels: \"pager\" is not a channel"},
      {R"({"channels":"ops-webhook"})", "channels: must be an array"},
      {R"({"channels":["ops-webhook","ops-webhook"]})", "listed twice"},
      {R"({"escalation_delay_seconds":"5m"})", "escalation_delay_seconds: must be an integer"},
      {R"({"suppression_window_seconds":-1})", "suppression_window_seconds: must be an integer"},
      {R"({"recovery_notice":"yes"})", "recovery_notice: must be true or false"},
      {R"({"min_severity":"critical"})", "min_severity: must be"},
      {R"({"colour":"red"})", "colour: unknown field"},
      {R"({"service":"other"})", "service: must be absent or equal"},
      {R"([1,2])", "must be a JSON object"},
      {R"({nope)", "not valid JSON"},
  };
  for (const auto& [body, message] : cases) {
    INFO(body);
    const auto r = a.call("PUT", "/api/v1/alerts/configs/checkout", body);
    CHECK(r.status == 400);
    CHECK(r.body["error"]["code"] == "bad_request");
    CHECK_THAT(r.body["error"]["message"].get<std::string>(), Catch::Contains(message));
  }
  CHECK(a.call("GET", "/api/v1/alerts/configs").body["configs"].empty());
}

TEST_CASE("notifications list validates status and limit and passes them to the store",
          "[hub][unit][api]") {
  Api a;
  hub::notify::OutboxEntry e;
  e.id = 7;
  e.idempotency_key = "i:t:c";
  e.channel = "c";
  e.status = "failed";
  e.attempts = 3;
  e.last_error = "HTTP 500";
  e.payload = R"({"service":"x"})";
  a.outbox.entries.push_back(e);
  auto r = a.call("GET", "/api/v1/notifications", {}, {{"status", "failed"}, {"limit", "5"}});
  REQUIRE(r.status == 200);
  CHECK(a.outbox.last_status == "failed");
  CHECK(a.outbox.last_limit == 5);
  REQUIRE(r.body["notifications"].size() == 1);
  CHECK(r.body["notifications"][0]["payload"]["service"] == "x");
  CHECK(r.body["notifications"][0]["delivered_at"].is_null());
  CHECK(a.call("GET", "/api/v1/notifications", {}, {{"status", "lost"}}).status == 400);
  CHECK(a.call("GET", "/api/v1/notifications", {}, {{"limit", "0"}}).status == 400);
  CHECK(a.call("GET", "/api/v1/notifications", {}, {{"limit", "abc"}}).status == 400);
  r = a.call("GET", "/api/v1/notifications");
  CHECK(a.outbox.last_limit == 100);
  CHECK(a.outbox.last_status.empty());
}
