// The pre-flight checklist without servers: ready/override logic, the runner's publishing, the
// scheduler on a manual clock, each check kind on fakes, the config section and the API handler.
#include <catch2/catch.hpp>

#include "common/metrics/metrics.hpp"
#include "common/time/manual_time.hpp"
#include "hub/api/preflight_handler.hpp"
#include "hub/config/hub_config.hpp"
#include "hub/preflight/checks.hpp"
#include "hub/preflight/preflight_config.hpp"
#include "hub/preflight/preflight_runner.hpp"
#include "hub/preflight/preflight_scheduler.hpp"
#include "hub/preflight/ready_codec.hpp"
#include "tests/unit/hub/fakes/fake_preflight.hpp"

using namespace vitals;
using namespace vitals::hub::preflight;
using namespace std::chrono_literals;
using vitals::test::FakeCheck;
using vitals::test::FakeOverrideStore;

namespace {

CheckReport report(std::string name, bool required, bool passed) {
  CheckReport r;
  r.name = std::move(name);
  r.required = required;
  r.passed = passed;
  r.ran = true;
  return r;
}

Override overrideOf(std::string check, std::int64_t id = 1) {
  Override o;
  o.id = id;
  o.check = std::move(check);
  o.reason = "known issue";
  return o;
}

struct Rig {
  ManualTime time;
  FakeOverrideStore overrides;
  metrics::Registry registry;
  std::vector<PreflightReport> published;
  PreflightRunner runner{time, overrides, registry,
                         [this](const PreflightReport& r) { published.push_back(r); }};
  FakeCheck* add(const std::string& name, bool required, bool passed) {
    auto c = std::make_unique<FakeCheck>(passed);
    auto* raw = c.get();
    runner.add(name, "fake", required, std::move(c));
    return raw;
  }
};

hub::store::AgentRecord agent(std::string id, bool online = true,
                              std::optional<std::chrono::milliseconds> skew = std::nullopt) {
  hub::store::AgentRecord a;
  a.agent_id = std::move(id);
  if (!online) {
    a.unreachable_since = SystemTime{};
  }
  a.clock_skew = skew;
  return a;
}

class FakeNotifier final : public hub::notify::Notifier {
 public:
  hub::notify::DeliveryOutcome send(const hub::notify::Notification& n) override {
    sent.push_back(n);
    hub::notify::DeliveryOutcome o;
    o.delivered = deliver;
    o.error = deliver ? "" : "HTTP 500";
    return o;
  }
  std::vector<hub::notify::Notification> sent;
  bool deliver = true;
};

}  // namespace

TEST_CASE("ready needs every required check passed or overridden and optional ones never block",
          "[hub][unit][preflight]") {
  struct Row {
    bool required;
    bool passed;
    bool overridden;
    bool ready;
  };
  const auto row = GENERATE(Row{true, true, false, true}, Row{true, false, false, false},
                            Row{true, false, true, true}, Row{false, false, false, true},
                            Row{false, false, true, true});
  std::vector<CheckReport> checks{report("a", true, true), report("b", row.required, row.passed)};
  std::vector<Override> overrides;
  if (row.overridden) {
    overrides.push_back(overrideOf("b"));
  }
  CHECK(decideReady(checks, overrides) == row.ready);
  CHECK(checks[1].overridden == (row.overridden && !row.passed));
  CHECK_FALSE(checks[0].overridden);
}

TEST_CASE("an override of a passing check or of another check changes nothing",
          "[hub][unit][preflight]") {
  std::vector<CheckReport> checks{report("db", true, true), report("stream", true, false)};
  CHECK_FALSE(decideReady(checks, {overrideOf("db"), overrideOf("other", 2)}));
  CHECK_FALSE(checks[0].overridden);
  CHECK_FALSE(checks[1].overridden);
}

TEST_CASE("the runner publishes the flag on the first evaluation and on every change only",
          "[hub][unit][preflight]") {
  Rig rig;
  auto* db = rig.add("db", true, true);
  auto* stream = rig.add("stream", true, false);
  rig.add("agents", false, false);
  const auto before = rig.runner.report();
  CHECK_FALSE(before.ready);
  CHECK_FALSE(before.last_run.has_value());
  REQUIRE(before.checks.size() == 3);
  CHECK(before.checks[1].error == "not run yet");
  CHECK(rig.published.empty());

  auto r = rig.runner.run(RunContext{true});
  CHECK_FALSE(r.ready);
  CHECK(db->runs == 1);
  CHECK(db->last_forced);
  REQUIRE(rig.published.size() == 1);
  CHECK_FALSE(rig.published[0].ready);
  CHECK(r.checks.size() == 3);
  CHECK(r.checks[1].error == "broken");
  CHECK(r.last_run.has_value());

  rig.runner.run(RunContext{false});
  CHECK_FALSE(db->last_forced);
  CHECK(rig.published.size() == 1);  // unchanged: not published again

  stream->passed = true;
  r = rig.runner.run(RunContext{false});
  CHECK(r.ready);
  REQUIRE(rig.published.size() == 2);
  CHECK(rig.published[1].ready);
  CHECK(rig.runner.report().ready);
  CHECK(rig.registry.render().find("vitals_preflight_ready 1") != std::string::npos);
}

TEST_CASE("an override flips ready at once and its expiry flips it back",
          "[hub][unit][preflight]") {
  Rig rig;
  rig.add("db", true, true);
  rig.add("stream", true, false);
  CHECK_FALSE(rig.runner.run(RunContext{true}).ready);

  NewOverride o{"stream", "JetStream maintenance", rig.time.now() + 10min, "key:1"};
  REQUIRE(rig.overrides.create(o, rig.time.now()).ok());
  auto r = rig.runner.evaluate();
  CHECK(r.ready);
  CHECK(r.checks[1].overridden);
  REQUIRE(r.checks[1].override_info.has_value());
  CHECK(r.checks[1].override_info->reason == "JetStream maintenance");
  REQUIRE(rig.published.size() == 2);
  CHECK(rig.published.back().ready);

  rig.time.advance(10min);
  r = rig.runner.evaluate();
  CHECK_FALSE(r.ready);
  CHECK_FALSE(r.checks[1].overridden);
  CHECK(rig.published.size() == 3);
}

TEST_CASE("unreadable overrides apply none and say so", "[hub][unit][preflight]") {
  Rig rig;
  rig.add("stream", true, false);
  REQUIRE(rig.overrides.create({"stream", "r", rig.time.now() + 1h, "key:1"}, rig.time.now()).ok());
  rig.overrides.unavailable = true;
  const auto r = rig.runner.run(RunContext{true});
  CHECK_FALSE(r.ready);
  CHECK_FALSE(r.overrides_error.empty());
}

TEST_CASE("a check that throws counts as failed and not as a crash", "[hub][unit][preflight]") {
  Rig rig;
  auto* c = rig.add("db", true, true);
  c->throws = true;
  const auto r = rig.runner.run(RunContext{true});
  CHECK_FALSE(r.ready);
  CHECK(r.checks[0].error.find("boom") != std::string::npos);
}

TEST_CASE(
    "the scheduler runs at start and every interval and repeats the flag for late subscribers",
    "[hub][unit][preflight]") {
  Rig rig;
  auto* db = rig.add("db", true, true);
  PreflightScheduler scheduler(rig.time, rig.time, rig.runner, 60s, 15s, 5s);
  scheduler.start();
  CHECK(db->runs == 1);
  CHECK(db->last_forced);
  CHECK(rig.published.size() == 1);
  rig.time.advance(15s);
  CHECK(db->runs == 1);
  CHECK(rig.published.size() == 2);  // repeated although unchanged
  rig.time.advance(45s);
  CHECK(db->runs == 2);
  CHECK_FALSE(db->last_forced);
  CHECK(rig.published.size() == 5);
  scheduler.stop();
  rig.time.advance(5min);
  CHECK(db->runs == 2);
  CHECK(rig.published.size() == 5);
}

TEST_CASE("while not ready the scheduler re-runs every not_ready_interval",
          "[hub][unit][preflight]") {
  Rig rig;
  auto* stream = rig.add("stream", true, false);
  PreflightScheduler scheduler(rig.time, rig.time, rig.runner, 60s, 15s, 5s);
  scheduler.start();
  rig.time.advance(5s);
  CHECK(stream->runs == 2);
  stream->passed = true;
  rig.time.advance(5s);
  CHECK(stream->runs == 3);
  CHECK(rig.runner.report().ready);
  rig.time.advance(55s);
  CHECK(stream->runs == 3);  // ready: back to the full interval
  rig.time.advance(5s);
  CHECK(stream->runs == 4);
  scheduler.stop();
}

TEST_CASE("service_status checks re-run every watch_interval and flip ready within it",
          "[hub][unit][preflight]") {
  Rig rig;
  auto* db = rig.add("db", true, true);
  auto* web = rig.add("web-up", true, true);
  web->live = true;
  PreflightScheduler scheduler(rig.time, rig.time, rig.runner, 60s, 15s, 5s, 500ms);
  scheduler.start();
  REQUIRE(rig.runner.report().ready);
  const auto published = rig.published.size();
  rig.time.advance(500ms);
  CHECK(web->runs == 2);
  CHECK(db->runs == 1);                      // only the live checks follow the state
  CHECK(rig.published.size() == published);  // nothing changed: nothing published

  web->passed = false;  // the required service went down
  rig.time.advance(500ms);
  CHECK_FALSE(rig.runner.report().ready);
  REQUIRE(rig.published.size() == published + 1);
  CHECK_FALSE(rig.published.back().ready);
  CHECK(db->runs == 1);

  web->passed = true;
  rig.time.advance(500ms);
  CHECK(rig.runner.report().ready);
  CHECK(rig.published.back().ready);
  scheduler.stop();
  rig.time.advance(5s);
  CHECK(web->runs == 4);
}

TEST_CASE("a watch_interval of 0 re-runs service_status checks only with the others",
          "[hub][unit][preflight]") {
  Rig rig;
  auto* web = rig.add("web-up", true, true);
  web->live = true;
  PreflightScheduler scheduler(rig.time, rig.time, rig.runner, 60s, 15s, 5s, 0ms);
  scheduler.start();
  rig.time.advance(59s);
  CHECK(web->runs == 1);
  scheduler.stop();
}

TEST_CASE("live re-runs wait for the first full run", "[hub][unit][preflight]") {
  Rig rig;
  auto* web = rig.add("web-up", true, true);
  web->live = true;
  rig.runner.runLive();
  CHECK(web->runs == 0);
  CHECK(rig.published.empty());
}

TEST_CASE("service_status passes for accepted statuses and names what is not",
          "[hub][unit][preflight]") {
  hub::state::HubState state;
  auto result = [](std::string check, std::string service, HealthStatus st) {
    CheckResult r;
    r.agent_id = "a1";
    r.boot_id = "b";
    r.seq = 1;
    r.check = std::move(check);
    r.service = std::move(service);
    r.status = st;
    r.raw_status = st;
    r.observed_at = SystemTime{std::chrono::seconds{100}};
    return r;
  };
  state.restore("a1", ::vitals::CheckSpec{"web-http", "web", "http", "", {}, {}, 0, {}},
                result("web-http", "web", HealthStatus::Degraded));
  state.restore("a1", ::vitals::CheckSpec{"db-tcp", "db", "tcp", "", {}, {}, 0, {}},
                result("db-tcp", "db", HealthStatus::Down));

  ServiceStatusCheck not_down(state, {"web"}, {HealthStatus::Healthy, HealthStatus::Degraded});
  CHECK(not_down.run({}).passed);
  ServiceStatusCheck healthy_only(state, {"web"}, {HealthStatus::Healthy});
  auto out = healthy_only.run({});
  CHECK_FALSE(out.passed);
  CHECK(out.error == "web is degraded");
  ServiceStatusCheck two(state, {"db", "ghost"}, {HealthStatus::Healthy});
  out = two.run({});
  CHECK_FALSE(out.passed);
  CHECK(out.error == "db is down, ghost is not known to the hub");
}

TEST_CASE("agents_online counts agents neither unreachable nor deregistered",
          "[hub][unit][preflight]") {
  std::vector<hub::store::AgentRecord> agents{agent("a"), agent("b", false), agent("c")};
  agents[2].deregistered_at = SystemTime{};
  AgentsOnlineCheck one([&] { return Result<std::vector<hub::store::AgentRecord>>(agents); }, 1);
  CHECK(one.run({}).passed);
  AgentsOnlineCheck two([&] { return Result<std::vector<hub::store::AgentRecord>>(agents); }, 2);
  const auto out = two.run({});
  CHECK_FALSE(out.passed);
  CHECK(out.error == "1 of 3 agent(s) online, need 2");
  AgentsOnlineCheck down(
      [] {
        return Result<std::vector<hub::store::AgentRecord>>(Error{"db.unavailable", "refused", {}});
      },
      1);
  CHECK_FALSE(down.run({}).passed);
}

TEST_CASE("clock_skew fails on an online agent beyond the bound and ignores offline ones",
          "[hub][unit][preflight]") {
  std::vector<hub::store::AgentRecord> agents{agent("a", true, 2s), agent("b", false, -90s)};
  auto lister = [&] { return Result<std::vector<hub::store::AgentRecord>>(agents); };
  CHECK(ClockSkewCheck(lister, 5s).run({}).passed);
  agents.push_back(agent("c", true, -40s));
  const auto out = ClockSkewCheck(lister, 5s).run({});
  CHECK_FALSE(out.passed);
  CHECK(out.error == "c is 40s behind");
}

TEST_CASE("migrations_current wants every known version and nothing newer",
          "[hub][unit][preflight]") {
  std::vector<int> applied{1, 2, 3};
  auto read = [&] { return Result<std::vector<int>>(applied); };
  CHECK(MigrationsCurrentCheck(read, {1, 2, 3}).run({}).passed);
  auto out = MigrationsCurrentCheck(read, {1, 2, 3, 7}).run({});
  CHECK_FALSE(out.passed);
  CHECK(out.error == "migrations not applied: 7");
  applied.push_back(9);
  out = MigrationsCurrentCheck(read, {1, 2, 3}).run({});
  CHECK_FALSE(out.passed);
  CHECK(out.error.find("newer") != std::string::npos);
}

TEST_CASE("a probe check reports the probe's reason", "[hub][unit][preflight]") {
  CHECK(ProbeCheck([] { return okStatus(); }).run({}).passed);
  const auto out = ProbeCheck([] { return Status(Error{"stream", "stream missing", {}}); }).run({});
  CHECK_FALSE(out.passed);
  CHECK(out.error == "stream missing");
}

TEST_CASE("notifier_test sends on forced runs and after resend_interval and not every minute",
          "[hub][unit][preflight]") {
  ManualTime time;
  auto notifier = std::make_unique<FakeNotifier>();
  auto* fake = notifier.get();
  NotifierTestCheck check(std::move(notifier), "ops", "hub-1", time, 1h);
  CHECK(check.run(RunContext{true}).passed);
  REQUIRE(fake->sent.size() == 1);
  CHECK(fake->sent[0].channel == "ops");
  time.advance(1min);
  CHECK(check.run(RunContext{false}).passed);
  CHECK(fake->sent.size() == 1);  // cached
  fake->deliver = false;
  const auto forced = check.run(RunContext{true});
  CHECK_FALSE(forced.passed);
  CHECK(forced.error.find("HTTP 500") != std::string::npos);
  CHECK(fake->sent.size() == 2);
  CHECK(fake->sent[1].idempotencyKey() != fake->sent[0].idempotencyKey());
  time.advance(1h);
  fake->deliver = true;
  CHECK(check.run(RunContext{false}).passed);
  CHECK(fake->sent.size() == 3);
}

TEST_CASE("HubReady round-trips through its codec", "[hub][unit][preflight]") {
  PreflightReport r;
  r.ready = true;
  r.evaluated_at = SystemTime{std::chrono::seconds{1'800'000'000}};
  r.last_run = r.evaluated_at - 5s;
  r.checks.push_back(report("db", true, true));
  auto failed = report("stream", true, false);
  failed.overridden = true;
  failed.error = "missing";
  r.checks.push_back(failed);
  auto decoded = decodeReady(encodeReady("hub-a", r));
  REQUIRE(decoded.ok());
  CHECK(decoded->hub_id == "hub-a");
  CHECK(decoded->report.ready);
  CHECK(decoded->report.evaluated_at == r.evaluated_at);
  REQUIRE(decoded->report.checks.size() == 2);
  CHECK(decoded->report.checks[1].overridden);
  CHECK(decoded->report.checks[1].error == "missing");
  CHECK_FALSE(decodeReady("\xff\xff garbage").ok());
}

namespace {

hub::ConfigSources noSources() {
  hub::ConfigSources s;
  s.env = [](const std::string&) { return std::optional<std::string>{}; };
  s.read_file = [](const std::string& p) -> Result<std::string> {
    return Error{"config.file", "no such file", p};
  };
  return s;
}

}  // namespace

TEST_CASE("the preflight section has defaults and kinds and parameters and line-numbered problems",
          "[hub][unit][preflight]") {
  config::Problems problems;
  auto cfg = hub::parseHubConfig("hub_id: h\n", "hub.yaml", noSources(), problems);
  REQUIRE(cfg);
  CHECK(cfg->preflight.checks.size() == defaultChecks().size());
  CHECK(cfg->preflight.interval == 60s);
  CHECK(cfg->preflight.watch_interval == 500ms);

  cfg = hub::parseHubConfig(
      "preflight:\n"
      "  interval: 30s\n"
      "  watch_interval: 0s\n"
      "  checks:\n"
      "    - name: core\n"
      "      kind: service_status\n"
      "      services: [web, db]\n"
      "      accept: [healthy]\n"
      "    - name: workers\n"
      "      kind: agents_online\n"
      "      min: 3\n"
      "      required: false\n"
      "    - name: clocks\n"
      "      kind: clock_skew\n"
      "      max_skew: 5s\n",
      "hub.yaml", noSources(), problems);
  REQUIRE(cfg);
  REQUIRE(cfg->preflight.checks.size() == 3);
  CHECK(cfg->preflight.interval == 30s);
  CHECK(cfg->preflight.watch_interval == 0ms);
  CHECK(cfg->preflight.checks[0].services == std::vector<std::string>{"web", "db"});
  CHECK(cfg->preflight.checks[0].accept == std::vector<HealthStatus>{HealthStatus::Healthy});
  CHECK(cfg->preflight.checks[1].min_agents == 3);
  CHECK_FALSE(cfg->preflight.checks[1].required);
  CHECK(cfg->preflight.checks[2].max_skew == 5s);

  config::Problems bad;
  cfg = hub::parseHubConfig(
      "preflight:\n"
      "  watch_interval: 10ms\n"
      "  checks:\n"
      "    - name: a\n"
      "      kind: telepathy\n"
      "    - name: a\n"
      "      kind: agents_online\n"
      "      services: [x]\n"
      "    - name: n\n"
      "      kind: notifier_test\n"
      "      channel: nowhere\n",
      "hub.yaml", noSources(), bad);
  CHECK_FALSE(cfg);
  const auto text = bad.format();
  CHECK(text.find("hub.yaml:2: preflight.watch_interval: must be 0 (off) or at least 100ms") !=
        std::string::npos);
  CHECK(text.find("hub.yaml:5: preflight.checks[0].kind: must be") != std::string::npos);
  CHECK(text.find("hub.yaml:6: preflight.checks[1].name: \"a\" is used") != std::string::npos);
  CHECK(text.find("preflight.checks[1].services: unknown key") != std::string::npos);
  CHECK(text.find("hub.yaml:11: preflight.checks[2].channel: no notify channel named") !=
        std::string::npos);
}

TEST_CASE(
    "the preflight API serves the report and runs and validated overrides with roles and audit",
    "[hub][unit][preflight]") {
  Rig rig;
  rig.add("db", true, true);
  rig.add("stream", true, false);
  rig.runner.run(RunContext{true});
  hub::api::PreflightHandler h(rig.runner, rig.overrides, rig.time);
  hub::api::ApiRequest req;
  req.actor = "key:1";
  req.role = "admin";

  auto got = h.get(req);
  CHECK(got.status == 200);
  CHECK(got.body["ready"] == false);
  CHECK(got.body["checks"][1]["error"] == "broken");
  CHECK(got.body["checks"][0]["error"].is_null());

  auto ran = h.run(req);
  CHECK(ran.status == 200);
  CHECK(rig.overrides.audit.back() == "key:1 preflight.run not-ready");

  auto post = [&](const std::string& body, const std::string& role = "admin") {
    auto r = req;
    r.role = role;
    r.body = body;
    return h.createOverride(r);
  };
  CHECK(post(R"({"check":"stream","reason":"x","expires_in":"1h"})", "operator").status == 403);
  auto r = post(R"({"check":"stream","expires_in":"1h"})");
  CHECK(r.status == 400);
  CHECK(r.body["error"]["message"] == "reason: is required");
  CHECK(post(R"({"check":"nope","reason":"x","expires_in":"1h"})").status == 400);
  CHECK(post(R"({"check":"stream","reason":"x","expires_in":"90d"})").status == 400);
  CHECK(post(R"({"check":"stream","reason":"x","expires_at":"2001-01-01T00:00:00Z"})").status ==
        400);
  CHECK(post(R"({"check":"stream","reason":"x","expires_in":"1h","extra":1})").status == 400);
  CHECK(rig.overrides.rows.empty());

  r = post(R"({"check":"stream","reason":"JetStream upgrade","expires_in":"1h"})");
  REQUIRE(r.status == 201);
  CHECK(r.body["ready"] == true);
  CHECK(r.body["created_by"] == "key:1");
  CHECK(rig.overrides.audit.back() == "key:1 preflight.override.create stream");
  CHECK(h.get(req).body["checks"][1]["overridden"] == true);
  CHECK(h.listOverrides(req).body["overrides"].size() == 1);

  auto del = req;
  del.path_params["id"] = std::to_string(r.body["id"].get<std::int64_t>());
  del.role = "operator";
  CHECK(h.deleteOverride(del).status == 403);
  del.role = "admin";
  auto d = h.deleteOverride(del);
  CHECK(d.status == 200);
  CHECK(d.body["ready"] == false);
  CHECK(h.deleteOverride(del).status == 404);
  del.path_params["id"] = "abc";
  CHECK(h.deleteOverride(del).status == 400);
}
