// GET /api/v1/services: filters, sort, pages and the ETag, over a HubState with no server.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/time/manual_time.hpp"
#include "hub/api/service_list.hpp"
#include "hub/api/services_handler.hpp"
#include "hub/state/hub_state.hpp"
#include "tests/unit/hub/fakes/fake_read_store.hpp"
#include "tests/unit/hub/test_data.hpp"

using namespace vitals;
using namespace vitals::hub;
using nlohmann::json;
using vitals::test::result;

namespace {

api::ApiRequest get(std::vector<std::pair<std::string, std::string>> query = {}) {
  api::ApiRequest r;
  r.method = "GET";
  r.path = "/api/v1/services";
  r.query = std::move(query);
  return r;
}

// svc-00 .. svc-(n-1); every third down, every fifth (not down) degraded; agent a<i % 2>.
void fill(state::HubState& s, int n) {
  for (int i = 0; i < n; ++i) {
    const auto status = i % 3 == 0   ? HealthStatus::Down
                        : i % 5 == 0 ? HealthStatus::Degraded
                                     : HealthStatus::Healthy;
    char name[16];
    std::snprintf(name, sizeof name, "svc-%02d", i);
    auto r = result("a" + std::to_string(i % 2), "b", static_cast<std::uint64_t>(i + 1), name,
                    std::string("check-") + name, status);
    r.latency = std::chrono::microseconds{1000 * (n - i)};
    s.applyResult(r);
  }
}

std::vector<std::string> names(const json& body) {
  std::vector<std::string> out;
  for (const auto& s : body.at("services")) {
    out.push_back(s.at("name"));
  }
  return out;
}

struct Fixture {
  state::HubState state;
  test::FakeReadStore store;
  ManualTime time{test::at(1'800'000'100 - 1000)};  // now() is at(1,800,000,100)
  api::ServicesHandler handler{state, store, time};

  json list(std::vector<std::pair<std::string, std::string>> query) {
    const auto r = handler.list(get(std::move(query)));
    REQUIRE(r.status == 200);
    REQUIRE(r.text);
    return json::parse(*r.text);
  }
};

}  // namespace

TEST_CASE("the service list keeps only the statuses, names and agents asked for",
          "[hub][unit][api]") {
  Fixture f;
  fill(f.state, 20);
  const auto down = f.list({{"status", "down"}});
  CHECK(down.at("total") == 7);  // 0, 3, 6, 9, 12, 15, 18
  for (const auto& s : down.at("services")) {
    CHECK(s.at("status") == "down");
  }
  CHECK(f.list({{"status", "down,degraded"}}).at("total") == 9);  // + 5, 10
  CHECK(names(f.list({{"q", "svc-1?"}, {"status", "healthy"}})) ==
        std::vector<std::string>{"svc-11", "svc-13", "svc-14", "svc-16", "svc-17", "svc-19"});
  const auto a1 = f.list({{"agent", "a1"}});
  CHECK(a1.at("total") == 10);
  for (const auto& s : a1.at("services")) {
    CHECK(s.at("agent") == "a1");
  }
  CHECK(f.list({{"agent", "nobody"}}).at("services").empty());
}

TEST_CASE("the service list sorts by status worst first, by latency and in reverse",
          "[hub][unit][api]") {
  Fixture f;
  fill(f.state, 10);
  const auto by_status = names(f.list({{"sort", "status"}}));
  CHECK(std::vector<std::string>(by_status.begin(), by_status.begin() + 5) ==
        std::vector<std::string>{"svc-00", "svc-03", "svc-06", "svc-09", "svc-05"});
  CHECK(names(f.list({{"sort", "latency"}, {"limit", "3"}})) ==
        std::vector<std::string>{"svc-09", "svc-08", "svc-07"});
  CHECK(names(f.list({{"sort", "-name"}, {"limit", "2"}})) ==
        std::vector<std::string>{"svc-09", "svc-08"});
}

TEST_CASE("paging the service list with cursors visits every match once, in order",
          "[hub][unit][api]") {
  Fixture f;
  fill(f.state, 45);
  for (const std::string sort : {"name", "-name", "status", "-latency", "last_checked"}) {
    INFO(sort);
    std::vector<std::string> seen;
    std::vector<std::pair<std::string, std::string>> q{{"sort", sort}, {"limit", "7"}};
    int pages = 0;
    while (true) {
      const auto page = f.list(q);
      CHECK(page.at("total") == 45);
      for (const auto& n : names(page)) {
        seen.push_back(n);
      }
      ++pages;
      if (page.at("next").is_null()) {
        break;
      }
      q = {{"sort", sort}, {"limit", "7"}, {"cursor", page.at("next")}};
    }
    CHECK(pages == 7);
    CHECK(seen == names(f.list({{"sort", sort}})));
  }
}

TEST_CASE("bad service list parameters are refused naming the parameter", "[hub][unit][api]") {
  Fixture f;
  fill(f.state, 3);
  const std::vector<std::pair<std::string, std::string>> bad[] = {
      {{"status", "fine"}},
      {{"sort", "colour"}},
      {{"limit", "0"}},
      {{"limit", "1001"}},
      {{"cursor", "xx"}},
      {{"agent", "a b"}},
      {{"q", std::string(300, 'x')}},
  };
  for (const auto& q : bad) {
    const auto r = f.handler.list(get(q));
    INFO(q.front().first);
    CHECK(r.status == 400);
    CHECK(r.body["error"]["message"].get<std::string>().find("\"" + q.front().first + "\"") !=
          std::string::npos);
  }
  // A cursor of another sort order is not silently reinterpreted.
  const auto page = f.list({{"sort", "status"}, {"limit", "1"}});
  const auto r = f.handler.list(get({{"sort", "name"}, {"cursor", page.at("next")}}));
  CHECK(r.status == 400);
}

TEST_CASE("the service list answers 304 until the state changes", "[hub][unit][api]") {
  Fixture f;
  fill(f.state, 5);
  const auto first = f.handler.list(get({{"status", "down"}}));
  REQUIRE(first.status == 200);
  std::string etag;
  for (const auto& [k, v] : first.headers) {
    if (k == "ETag") etag = v;
  }
  REQUIRE(etag.rfind("W/\"", 0) == 0);
  auto again = get({{"status", "down"}});
  again.headers.emplace_back("if-none-match", "\"other\", " + etag);
  CHECK(f.handler.list(again).status == 304);
  // Another query is another representation.
  auto other = get({{"status", "healthy"}});
  other.headers.emplace_back("If-None-Match", etag);
  CHECK(f.handler.list(other).status == 200);
  // Any change of state gives a new tag.
  f.state.applyResult(result("a0", "b", 100, "svc-00", "check-svc-00", HealthStatus::Healthy));
  CHECK(f.handler.list(again).status == 200);
}

TEST_CASE("the service list JSON has the documented fields with nulls before a first result",
          "[hub][unit][api]") {
  Fixture f;
  f.state.applyRegistration(test::registration("a1", {test::spec("http", "web")}));
  fill(f.state, 1);
  const auto body = f.list({});
  REQUIRE(body.at("services").size() == 2);
  const auto& web = body.at("services").at(1);
  CHECK(web.at("name") == "web");
  CHECK(web.at("status") == "unknown");
  CHECK(web.at("latency_ms").is_null());
  CHECK(web.at("last_checked").is_null());
  CHECK(web.at("checks").at(0).at("agent") == "a1");
  const auto& svc = body.at("services").at(0);
  CHECK(svc.at("latency_ms") == 1.0);
  CHECK(svc.at("age_seconds") == 99);  // observed at 1,800,000,001, now 1,800,000,100
  CHECK(svc.at("checks").at(0).at("message") == "ok");
  CHECK(body.at("next").is_null());
}

TEST_CASE("the summary counts services by status and lists the worst first", "[hub][unit][api]") {
  Fixture f;
  fill(f.state, 10);
  api::ApiRequest req = get({{"limit", "3"}});
  const auto r = f.handler.summary(req);
  REQUIRE(r.status == 200);
  CHECK(r.body["services"]["total"] == 10);
  CHECK(r.body["services"]["down"] == 4);
  CHECK(r.body["services"]["degraded"] == 1);
  CHECK(r.body["services"]["healthy"] == 5);
  CHECK(r.body["checks"] == 10);
  REQUIRE(r.body["worst"].size() == 3);
  CHECK(r.body["worst"][0]["name"] == "svc-00");
  CHECK(r.body["worst"][0]["status"] == "down");
  CHECK(f.handler.summary(get({{"limit", "0"}})).status == 400);
}

TEST_CASE("the service list filters by the registry's tags and derived type", "[hub][unit][api]") {
  Fixture f;
  fill(f.state, 6);
  registry::ServiceRegistry reg;
  registry::ServiceMeta meta;
  meta.name = "svc-01";
  meta.tags = {"db", "prod"};
  reg.put(meta);
  meta.name = "svc-04";
  meta.tags = {"prod"};
  reg.put(meta);
  f.handler.setRegistry(&reg);
  CHECK(names(f.list({{"tag", "prod"}})) == std::vector<std::string>{"svc-01", "svc-04"});
  CHECK(names(f.list({{"tag", "db"}, {"status", "healthy"}})) ==
        std::vector<std::string>{"svc-01"});
  CHECK(f.list({{"tag", "nobody"}}).at("total") == 0);
  CHECK(f.list({{"type", "http"}}).at("total") == 6);  // every check is an http check
  CHECK(f.list({{"type", "redis"}}).at("total") == 0);
  CHECK(f.handler.list(get({{"tag", ""}})).status == 400);
}
