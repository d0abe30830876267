// Inbound events without servers: the rules file, target globbing, parameter validation, the
// event body, HMAC authentication, and the processor's decisions (422/400/403, controller
// override, cooldown, audit before execution) on fakes.
#include <catch2/catch.hpp>

#include "common/metrics/metrics.hpp"
#include "common/time/manual_time.hpp"
#include "hub/api/events_handler.hpp"
#include "hub/config/hub_config.hpp"
#include "hub/events/bus_event_listener.hpp"
#include "hub/events/event_processor.hpp"
#include "hub/events/event_rules.hpp"
#include "hub/events/hmac_auth.hpp"
#include "hub/notify/signing.hpp"
#include "tests/unit/hub/fakes/fake_events.hpp"
#include "tests/unit/hub/fakes/sample_event_rules.hpp"

using namespace vitals;
using namespace vitals::hub::events;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

const char* const kRules = test::kSampleEventRules;

EventRules rules() {
  config::Problems problems;
  auto r = parseEventRules(kRules, "actions.yaml", problems);
  INFO(problems.format());
  REQUIRE(r);
  return *r;
}

struct Rig {
  ManualTime time;
  vitals::test::FakeActionRunner runner;
  vitals::test::FakeEventLog log;
  metrics::Registry registry;
  std::map<std::string, std::string> service_agents{{"web-1", "node-1"}};
  EventProcessor processor{rules(),
                           [this](const std::string& target) -> Result<std::string> {
                             auto it = service_agents.find(target);
                             if (it == service_agents.end()) {
                               return Error{"event.no_agent", "no agent reports " + target, {}};
                             }
                             return it->second;
                           },
                           runner,
                           log,
                           time,
                           registry,
                           ProcessorSettings{60s, 5s}};
  EventCaller operatorCaller{"key:2", "operator", "http:key:2"};
  EventCaller adminCaller{"key:1", "admin", "http:key:1"};
};

}  // namespace

TEST_CASE("target globs match the whole target with * and ?", "[hub][unit][events]") {
  struct Row {
    const char* pattern;
    const char* text;
    bool match;
  };
  const auto row = GENERATE(Row{"*", "anything", true}, Row{"web-*", "web-1", true},
                            Row{"web-*", "xweb-1", false}, Row{"web-?", "web-12", false},
                            Row{"*-db-*", "eu-db-3", true}, Row{"a*b*c", "aXbYc", true},
                            Row{"a*b*c", "aXbY", false}, Row{"exact", "exact", true},
                            Row{"", "", true}, Row{"", "x", false});
  CHECK(globMatch(row.pattern, row.text) == row.match);
}

TEST_CASE("the rules file is read strictly with file:line problems", "[hub][unit][events]") {
  const auto r = rules();
  REQUIRE(r.rules.size() == 2);
  CHECK(r.rules[0].target == "web-*");
  CHECK(r.rules[0].cooldown == 5min);
  REQUIRE(r.rules[0].params.size() == 2);
  CHECK(r.rules[0].params[0].from == "container");
  CHECK(r.rules[0].params[1].default_value == "TERM");
  CHECK(r.rules[1].agent == "node-9");
  CHECK(r.rules[1].allow_operator_override);
  CHECK(r.knowsType("disk.full"));
  CHECK_FALSE(r.knowsType("disk.empty"));

  config::Problems problems;
  auto bad = parseEventRules(
      "rules:\n"
      "  - name: a\n"
      "    event_type: x\n"
      "    params:\n"
      "      p:\n"
      "        pattern: \"([\"\n"
      "        type: float\n"
      "  - name: a\n"
      "    event_type: y\n"
      "    action: \"rm -rf\"\n"
      "    shell: true\n",
      "actions.yaml", problems);
  CHECK_FALSE(bad);
  const auto text = problems.format();
  INFO(text);
  CHECK(text.find("actions.yaml:2: rules[0].action: is required") != std::string::npos);
  CHECK(text.find("actions.yaml:6: rules[0].params.p.pattern: is not a valid regular") !=
        std::string::npos);
  CHECK(text.find("actions.yaml:7: rules[0].params.p.type: must be string, integer or boolean") !=
        std::string::npos);
  CHECK(text.find("actions.yaml:8: rules[1].name: \"a\" is used by another rule") !=
        std::string::npos);
  CHECK(text.find("actions.yaml:10: rules[1].action: must be an action name") != std::string::npos);
  CHECK(text.find("actions.yaml:11: rules[1].shell: unknown key") != std::string::npos);
}

TEST_CASE("parameters come from the payload or the target or defaults and are typed and matched",
          "[hub][unit][events]") {
  const auto r = rules();
  auto p = buildParams(r.rules[0], "web-1", json{{"container", "web-a"}});
  REQUIRE(p.ok());
  CHECK(p.value() == std::map<std::string, std::string>{{"name", "web-a"}, {"signal", "TERM"}});

  p = buildParams(r.rules[1], "host-7", json{{"keep", 3}, {"force", true}});
  REQUIRE(p.ok());
  CHECK(p.value() ==
        std::map<std::string, std::string>{{"host", "host-7"}, {"keep", "3"}, {"force", "true"}});

  struct Bad {
    int rule;
    json payload;
    const char* message;
  };
  const auto bad = GENERATE(
      Bad{0, json::object(), "payload: parameter name: payload.container is required"},
      Bad{0, json{{"container", 5}}, "payload: parameter name: payload.container must be a string"},
      Bad{0, json{{"container", "Web; rm -rf /"}},
          "payload: parameter name: \"Web; rm -rf /\" does not match ^[a-z0-9-]{1,32}$"},
      Bad{0, json{{"container", "web"}, {"signal", "KILL"}},
          "payload: parameter signal: \"KILL\" is not one of HUP, TERM"},
      Bad{1, json{{"keep", "3"}}, "payload: parameter keep: payload.keep must be an integer"},
      Bad{1, json{{"keep", 1.5}}, "payload: parameter keep: payload.keep must be an integer"},
      Bad{1, json{{"keep", 1}, {"force", "yes"}},
          "payload: parameter force: payload.force must be true or false"},
      Bad{0, json{{"container", std::string(2000, 'a')}},
          "payload: parameter name: longer than 1024 bytes"});
  auto out = buildParams(r.rules[static_cast<std::size_t>(bad.rule)], "t", bad.payload);
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().code == "event.param");
  CHECK(out.error().message == bad.message);
}

TEST_CASE("the event body is strict and names the wrong field", "[hub][unit][events]") {
  auto ok = parseInboundEvent(
      R"({"event_type":"disk.full","target":"h","payload":{"a":1},"controller_override":"n2"})");
  REQUIRE(ok.ok());
  CHECK(ok->controller_override == "n2");
  CHECK(ok->payload["a"] == 1);

  struct Bad {
    const char* body;
    const char* message;
  };
  const auto bad = GENERATE(
      Bad{"not json", "body: is not valid JSON"}, Bad{"[1]", "body: must be a JSON object"},
      Bad{R"({"target":"h"})", "event_type: is required"},
      Bad{R"({"event_type":"x"})", "target: is required"},
      Bad{R"({"event_type":7,"target":"h"})", "event_type: must be a string of 1-128 characters"},
      Bad{R"({"event_type":"x","target":"h","payload":[1]})", "payload: must be a JSON object"},
      Bad{R"({"event_type":"x","target":"h","controller_override":"a.b"})",
          "controller_override: must be an agent id (1-128 characters of A-Z a-z 0-9 _ -)"},
      Bad{R"({"event_type":"x","target":"h","command":"ls"})",
          "command: unknown field (expected event_type, target, payload, controller_override)"});
  auto out = parseInboundEvent(bad.body);
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().message == bad.message);
}

TEST_CASE("an event runs its rule's action on the target's agent and is audited before it runs",
          "[hub][unit][events]") {
  Rig rig;
  auto out = rig.processor.handleBody(
      R"({"event_type":"container.oom","target":"web-1","payload":{"container":"web-a"}})",
      rig.operatorCaller);
  REQUIRE(out.status == 200);
  REQUIRE(rig.runner.requests.size() == 1);
  const auto& req = rig.runner.requests[0];
  CHECK(req.agent == "node-1");
  CHECK(req.action == "restart-container");
  CHECK(req.params.at("name") == "web-a");
  CHECK(req.event_id == 1);
  CHECK(req.service == "web-1");
  CHECK(req.reason.rfind("inbound event #1 (rule ", 0) == 0);
  CHECK(req.requested_by == "key:2");
  CHECK(req.timeout == 5s);
  REQUIRE(rig.log.rows.size() == 1);
  CHECK(rig.log.rows[0].outcome == "ok");
  CHECK(rig.log.rows[0].source == "http:key:2");
  CHECK(rig.log.audit ==
        std::vector<std::string>{"key:2 event.accept accepted", "key:2 event.action ok"});
  const auto body = toJson(out);
  CHECK(body["result"]["output"] == "done\n");
  CHECK(body["agent"] == "node-1");
}

TEST_CASE("unknown type and no rule and no agent give 422 and a bad payload 400 and readonly 403",
          "[hub][unit][events]") {
  Rig rig;
  auto out =
      rig.processor.handleBody(R"({"event_type":"nope","target":"web-1"})", rig.operatorCaller);
  CHECK(out.status == 422);
  CHECK(out.code == "unknown_event_type");
  out = rig.processor.handleBody(R"({"event_type":"container.oom","target":"db-1"})",
                                 rig.operatorCaller);
  CHECK(out.status == 422);
  CHECK(out.code == "no_matching_rule");
  out = rig.processor.handleBody(R"({"event_type":"container.oom","target":"web-1"})",
                                 rig.operatorCaller);
  CHECK(out.status == 400);
  CHECK(out.message == "payload: parameter name: payload.container is required");
  out = rig.processor.handleBody(R"({"event_type":"container.oom","target":"web-2",)"
                                 R"("payload":{"container":"x"}})",
                                 rig.operatorCaller);
  CHECK(out.status == 422);
  CHECK(out.code == "no_agent");
  out = rig.processor.handleBody(
      R"({"event_type":"container.oom","target":"web-1","payload":{"container":"x"}})",
      EventCaller{"key:3", "readonly", "http:key:3"});
  CHECK(out.status == 403);
  CHECK(rig.runner.requests.empty());
  CHECK(rig.log.rows.empty());
}

TEST_CASE("controller_override is for admins and for operators only where the rule allows it",
          "[hub][unit][events]") {
  Rig rig;
  const std::string oom =
      R"({"event_type":"container.oom","target":"web-1","payload":{"container":"x"},)"
      R"("controller_override":"node-5"})";
  auto out = rig.processor.handleBody(oom, rig.operatorCaller);
  CHECK(out.status == 403);
  CHECK(out.code == "override_forbidden");
  CHECK(rig.runner.requests.empty());
  out = rig.processor.handleBody(oom, rig.adminCaller);
  REQUIRE(out.status == 200);
  CHECK(rig.runner.requests.back().agent == "node-5");

  out = rig.processor.handleBody(
      R"({"event_type":"disk.full","target":"h","payload":{"keep":2},"controller_override":"n7"})",
      rig.operatorCaller);
  REQUIRE(out.status == 200);
  CHECK(rig.runner.requests.back().agent == "n7");
  out = rig.processor.handleBody(R"({"event_type":"disk.full","target":"h","payload":{"keep":2}})",
                                 rig.operatorCaller);
  REQUIRE(out.status == 200);
  CHECK(rig.runner.requests.back().agent == "node-9");  // the rule's fixed agent
}

TEST_CASE("one run per agent and action per cooldown and the suppressed event is still recorded",
          "[hub][unit][events]") {
  Rig rig;
  const std::string oom =
      R"({"event_type":"container.oom","target":"web-1","payload":{"container":"x"}})";
  REQUIRE(rig.processor.handleBody(oom, rig.operatorCaller).status == 200);
  rig.time.advance(4min);
  auto out = rig.processor.handleBody(oom, rig.operatorCaller);
  REQUIRE(out.status == 200);
  CHECK(out.record->outcome == "cooldown");
  CHECK(out.retry_after == 1min);
  CHECK(rig.runner.requests.size() == 1);
  CHECK(rig.log.rows.size() == 2);
  CHECK(rig.log.audit.back() == "key:2 event.accept cooldown");
  // Another agent is another key.
  rig.service_agents["web-1"] = "node-2";
  CHECK(rig.processor.handleBody(oom, rig.operatorCaller).record->outcome == "ok");
  rig.service_agents["web-1"] = "node-1";
  rig.time.advance(1min);
  CHECK(rig.processor.handleBody(oom, rig.operatorCaller).record->outcome == "ok");
  CHECK(rig.runner.requests.size() == 3);
}

TEST_CASE("nothing runs when the event cannot be recorded and the cooldown is not held",
          "[hub][unit][events]") {
  Rig rig;
  const std::string oom =
      R"({"event_type":"container.oom","target":"web-1","payload":{"container":"x"}})";
  rig.log.unavailable = true;
  auto out = rig.processor.handleBody(oom, rig.operatorCaller);
  CHECK(out.status == 503);
  CHECK(rig.runner.requests.empty());
  rig.log.unavailable = false;
  CHECK(rig.processor.handleBody(oom, rig.operatorCaller).record->outcome == "ok");
}

TEST_CASE("an agent that does not answer leaves outcome unavailable", "[hub][unit][events]") {
  Rig rig;
  rig.runner.unavailable = true;
  auto out = rig.processor.handleBody(
      R"({"event_type":"container.oom","target":"web-1","payload":{"container":"x"}})",
      rig.operatorCaller);
  REQUIRE(out.status == 200);
  CHECK(out.record->outcome == "unavailable");
  CHECK(rig.log.rows[0].outcome == "unavailable");
}

TEST_CASE("HMAC accepts the current and previous secret and refuses wrong or stale signatures",
          "[hub][unit][events]") {
  HmacSettings s;
  s.secret = "0123456789abcdef-current";
  s.previous_secret = "0123456789abcdef-previous";
  s.max_age = 300s;
  const SystemTime now{std::chrono::seconds{1'800'000'000}};
  const std::string body = R"({"event_type":"x","target":"y"})";
  const auto sign = [&](const std::string& secret, std::int64_t ts) {
    return hub::notify::webhookSignature(secret, ts, body);
  };
  CHECK(verifySignature(s, "1800000000", sign(s.secret, 1'800'000'000), body, now).ok());
  CHECK(verifySignature(s, "1799999800", sign(s.previous_secret, 1'799'999'800), body, now).ok());
  auto bad =
      verifySignature(s, "1800000000", sign("other-secret-xxxxxx", 1'800'000'000), body, now);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == "auth.signature");
  bad = verifySignature(s, "1800000000", sign(s.secret, 1'800'000'000), body + " ", now);
  CHECK_FALSE(bad.ok());
  bad = verifySignature(s, "1799999000", sign(s.secret, 1'799'999'000), body, now);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == "auth.timestamp");
  CHECK_FALSE(verifySignature(s, "1800000000x", sign(s.secret, 1'800'000'000), body, now).ok());
  CHECK_FALSE(verifySignature(s, "", sign(s.secret, 1'800'000'000), body, now).ok());
  HmacSettings off;
  CHECK_FALSE(verifySignature(off, "1800000000", sign("", 1'800'000'000), body, now).ok());
  CHECK(constantTimeEquals("abc", "abc"));
  CHECK_FALSE(constantTimeEquals("abc", "abd"));
  CHECK_FALSE(constantTimeEquals("abc", "abcd"));
}

TEST_CASE(
    "events from NATS take the source from the subject and the bus role and answer on the reply",
    "[hub][unit][events]") {
  Rig rig;
  std::vector<std::pair<std::string, std::string>> published;
  BusEventListener listener(
      rig.processor, "operator",
      [&](const std::string& subject, std::string_view data) {
        published.emplace_back(subject, std::string(data));
        return okStatus();
      },
      rig.registry, spdlog::default_logger());
  listener.process({"vitals.events.alertmanager",
                    R"({"event_type":"disk.full","target":"h","payload":{"keep":1}})", "_INBOX.1"});
  REQUIRE(rig.runner.requests.size() == 1);
  CHECK(rig.runner.requests[0].requested_by == "nats:alertmanager");
  CHECK(rig.log.rows[0].source == "nats:alertmanager");
  REQUIRE(published.size() == 1);
  CHECK(published[0].first == "_INBOX.1");
  CHECK(json::parse(published[0].second)["outcome"] == "ok");

  listener.process({"vitals.events.x", R"({"event_type":"disk.full"})", "_INBOX.2"});
  REQUIRE(published.size() == 2);
  CHECK(json::parse(published[1].second)["status"] == 400);
  listener.process({"vitals.events.a.b", "{}", ""});
  CHECK(published.size() == 2);  // no reply subject: no answer
  CHECK(rig.runner.requests.size() == 1);
  CHECK(eventSource("vitals.events.zabbix") == "zabbix");
  CHECK(eventSource("vitals.agent.x") == "");
}

namespace {

hub::ConfigSources files(std::map<std::string, std::string> content) {
  hub::ConfigSources s;
  s.env = [](const std::string&) { return std::optional<std::string>{}; };
  s.read_file = [content](const std::string& p) -> Result<std::string> {
    auto it = content.find(p);
    if (it == content.end()) {
      return Error{"config.file", "no such file or not readable", p};
    }
    return it->second;
  };
  return s;
}

}  // namespace

TEST_CASE("the events section loads the rules file and reports its problems with its own lines",
          "[hub][unit][events]") {
  config::Problems problems;
  auto cfg = hub::parseHubConfig(
      "events:\n"
      "  rules_file: /etc/vitals/actions.yaml\n"
      "  hmac:\n"
      "    secret_file: /etc/vitals/events.secret\n"
      "    max_age: 2m\n"
      "  default_cooldown: 30s\n",
      "hub.yaml",
      files({{"/etc/vitals/actions.yaml", kRules},
             {"/etc/vitals/events.secret", "a-long-enough-secret\n"}}),
      problems);
  INFO(problems.format());
  REQUIRE(cfg);
  CHECK(cfg->events.enabled);
  CHECK(cfg->events.rules.rules.size() == 2);
  CHECK(cfg->events.hmac.secret == "a-long-enough-secret");
  CHECK(cfg->events.hmac.max_age == 2min);
  CHECK(cfg->events.default_cooldown == 30s);

  config::Problems bad;
  cfg = hub::parseHubConfig("events:\n  rules_file: /r.yaml\n  hmac:\n    role: root\n", "hub.yaml",
                            files({{"/r.yaml", "rules:\n  - name: x\n    event_type: t\n"}}), bad);
  CHECK_FALSE(cfg);
  const auto text = bad.format();
  INFO(text);
  CHECK(text.find("/r.yaml:2: rules[0].action: is required") != std::string::npos);
  CHECK(text.find("hub.yaml:4: events.hmac.role: must be operator or admin") != std::string::npos);
  CHECK(text.find("events.hmac.secret_file: is required") != std::string::npos);
}

TEST_CASE("the events API takes a key's role or a verified signature and refuses replays",
          "[hub][unit][events]") {
  Rig rig;
  HmacSettings hmac;
  hmac.secret = "0123456789abcdef-current";
  hub::api::EventsHandler h(rig.processor, rig.log, hmac, rig.time);
  const std::string body = R"({"event_type":"disk.full","target":"h","payload":{"keep":1}})";
  const auto ts =
      std::chrono::duration_cast<std::chrono::seconds>(rig.time.now().time_since_epoch()).count();

  hub::api::ApiRequest anonymous;
  anonymous.body = body;
  CHECK(h.post(anonymous).status == 401);

  auto keyed = anonymous;
  keyed.actor = "key:4";
  keyed.role = "operator";
  auto r = h.post(keyed);
  REQUIRE(r.status == 200);
  CHECK(r.body["source"] == "http:key:4");

  auto signed_req = anonymous;
  signed_req.headers = {
      {"x-vitals-timestamp", std::to_string(ts)},
      {"X-Vitals-Signature", hub::notify::webhookSignature(hmac.secret, ts, body)}};
  r = h.post(signed_req);
  REQUIRE(r.status == 200);
  CHECK(r.body["source"] == "http:hmac");
  CHECK(rig.runner.requests.back().requested_by == "hmac");
  r = h.post(signed_req);  // the same signed request again
  CHECK(r.status == 401);
  CHECK(r.body["error"]["message"] == "this signed request was already accepted");

  // A signature header is verified even when a key is there too.
  auto both = keyed;
  both.headers = {{"X-Vitals-Timestamp", std::to_string(ts)}, {"X-Vitals-Signature", "sha256=00"}};
  CHECK(h.post(both).status == 401);
  CHECK(rig.runner.requests.size() == 2);
  CHECK(h.list(keyed).body["events"].size() == 2);
}

TEST_CASE("the replay guard forgets a signature after twice the window", "[hub][unit][events]") {
  ReplayGuard guard(3);
  const SystemTime t0{std::chrono::seconds{1000}};
  CHECK(guard.firstUse("a", t0, 10s));
  CHECK_FALSE(guard.firstUse("a", t0 + 19s, 10s));
  CHECK(guard.firstUse("a", t0 + 21s, 10s));
  // At capacity the oldest is forgotten first.
  CHECK(guard.firstUse("b", t0 + 22s, 10s));
  CHECK(guard.firstUse("c", t0 + 23s, 10s));
  CHECK(guard.firstUse("d", t0 + 24s, 10s));
  CHECK(guard.firstUse("a", t0 + 25s, 10s));
  CHECK_FALSE(guard.firstUse("d", t0 + 25s, 10s));
}
