// The audit and incidents handlers over in-memory stores: the stores return structs, the
// handlers render and page them.
#include <catch2/catch.hpp>

#include "common/time/manual_time.hpp"
#include "hub/api/audit_handler.hpp"
#include "hub/api/incidents_handler.hpp"
#include "tests/unit/hub/fakes/fake_audit_incidents.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace std::chrono_literals;

namespace {

audit::AuditRow auditRow(std::int64_t id, SystemTime at, std::string action) {
  audit::AuditRow r;
  r.id = id;
  r.at = at;
  r.actor = "key:1";
  r.action = std::move(action);
  r.target = "agent:a1/action:restart-web";
  r.parameters_json = R"({"repair_id":)" + std::to_string(id) + "}";
  r.outcome = "started";
  return r;
}

void setParam(api::ApiRequest& req, const std::string& name, std::string value) {
  for (auto& [k, v] : req.query) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  req.query.emplace_back(name, std::move(value));
}

alerts::Incident incident(std::int64_t id, bool open) {
  alerts::Incident i;
  i.id = id;
  i.service = "web";
  i.open = open;
  i.status = open ? HealthStatus::Down : HealthStatus::Healthy;
  i.worst = HealthStatus::Down;
  i.opened_at = SystemTime{std::chrono::seconds{1'800'000'000}};
  return i;
}

}  // namespace

TEST_CASE("the audit list renders the reader's rows newest first and pages with a cursor",
          "[hub][unit][audit]") {
  ManualTime time;
  test::FakeAuditReader reader;
  for (int i = 1; i <= 3; ++i) {
    reader.rows.push_back(auditRow(i, time.now() + std::chrono::seconds{i}, "repair.execute"));
  }
  reader.rows.push_back(auditRow(4, time.now() + 4s, "key.create"));
  api::AuditHandler handler{reader};
  api::ApiRequest req;
  setParam(req, "action", "repair.*");
  setParam(req, "limit", "2");
  auto first = handler.list(req);
  REQUIRE(first.status == 200);
  REQUIRE(first.body["entries"].size() == 2);
  CHECK(first.body["entries"][0]["id"] == 3);
  CHECK(first.body["entries"][0]["parameters"]["repair_id"] == 3);
  CHECK(first.body["entries"][0]["action"] == "repair.execute");
  REQUIRE(first.body["next_cursor"].is_string());

  setParam(req, "cursor", first.body["next_cursor"].get<std::string>());
  auto second = handler.list(req);
  REQUIRE(second.status == 200);
  REQUIRE(second.body["entries"].size() == 1);
  CHECK(second.body["entries"][0]["id"] == 1);
  CHECK(second.body["next_cursor"].is_null());
  CHECK(reader.queries.back().action == "repair.*");
}

TEST_CASE(
    "acknowledging an open incident renders who acknowledged it, and a resolved one is a "
    "conflict",
    "[hub][unit][alerts]") {
  ManualTime time;
  test::FakeAlertApiStore store;
  store.incidents[1] = incident(1, true);
  store.incidents[2] = incident(2, false);
  api::IncidentsHandler handler{store, time};
  api::ApiRequest req;
  req.method = "POST";
  req.actor = "key:7";
  req.path_params["id"] = "1";
  auto acked = handler.ack(req);
  REQUIRE(acked.status == 200);
  CHECK(acked.body["acknowledged_by"] == "key:7");
  CHECK(acked.body["acknowledged_at"] == formatRfc3339(time.now()));

  req.path_params["id"] = "2";
  CHECK(handler.ack(req).status == 409);
  req.path_params["id"] = "9";
  CHECK(handler.ack(req).status == 404);

  api::ApiRequest get;
  get.path_params["id"] = "1";
  auto one = handler.get(get);
  REQUIRE(one.status == 200);
  REQUIRE_FALSE(one.body["timeline"].empty());
  CHECK(one.body["timeline"].back()["event"] == "acked");
}

TEST_CASE("the incident list pages with next_before when a page is full", "[hub][unit][alerts]") {
  ManualTime time;
  test::FakeAlertApiStore store;
  for (int i = 1; i <= 3; ++i) {
    store.incidents[i] = incident(i, true);
  }
  api::IncidentsHandler handler{store, time};
  api::ApiRequest req;
  setParam(req, "limit", "2");
  auto page = handler.list(req);
  REQUIRE(page.status == 200);
  REQUIRE(page.body["alerts"].size() == 2);
  CHECK(page.body["alerts"][0]["id"] == 3);
  CHECK(page.body["next_before"] == 2);
  setParam(req, "before", "2");
  auto rest = handler.list(req);
  REQUIRE(rest.body["alerts"].size() == 1);
  CHECK_FALSE(rest.body.contains("next_before"));
}
