#include <catch2/catch.hpp>
#include <deque>
#include <sstream>

#include "common/time/manual_time.hpp"
#include "ctl/ctl.hpp"
#include "ctl/ctl_args.hpp"
#include "ctl/ctl_format.hpp"
#include "tests/unit/ctl/fake_environment.hpp"

using namespace vitals;
using namespace vitals::ctl;
using nlohmann::json;

namespace {

Result<CtlArgs> parse(std::vector<std::string> argv, const CtlEnvironment& env = test::fakeEnv()) {
  return parseCtlArgs(argv, env);
}

// Answers scripted bodies in order and records the paths asked for.
class FakeHub final : public HubApi {
 public:
  Result<json> get(const std::string& path) override {
    paths.push_back(path);
    if (answers.empty()) {
      return Error{"hub.error", "no more answers", {}};
    }
    auto a = answers.front();
    answers.pop_front();
    return a;
  }
  std::deque<Result<json>> answers;
  std::vector<std::string> paths;
};

}  // namespace

TEST_CASE("vitalsctl parses global options, the command and its arguments", "[ctl][unit]") {
  auto a = parse({"--hub", "http://h:1/", "--output=json", "history", "web", "--since", "2h",
                  "--limit", "250"});
  REQUIRE(a.ok());
  CHECK(a->hub_url == "http://h:1");
  CHECK(a->output == Output::Json);
  CHECK(a->command == Command::History);
  CHECK(a->service == "web");
  CHECK(a->since == "2h");
  CHECK(a->limit == 250);

  a = parse({"status"});
  REQUIRE(a.ok());
  CHECK(a->services_query.empty());
  CHECK(a->hub_url == "http://127.0.0.1:8080");
  a = parse({"status", "--status", "down,degraded", "--service", "db-*", "--agent", "n1"});
  REQUIRE(a.ok());
  CHECK(a->services_query == "?status=down%2Cdegraded&q=db-%2A&agent=n1");
  CHECK(a->output == Output::Table);
  CHECK(parse({"--version"})->version);
  CHECK(parse({"agents", "--help"})->help);
}

TEST_CASE("the hub URL comes from --hub, then --config, then VITALS_HUB", "[ctl][unit]") {
  const auto env = test::fakeEnv({{"VITALS_HUB", "http://env:1"}},
                                 {{"/c.yaml", "hub: http://file:2\n"}, {"/bad.yaml", "hubb: x\n"}});
  CHECK(parse({"status"}, env)->hub_url == "http://env:1");
  CHECK(parse({"--config", "/c.yaml", "status"}, env)->hub_url == "http://file:2");
  CHECK(parse({"--config", "/c.yaml", "--hub", "https://flag:3", "status"}, env)->hub_url ==
        "https://flag:3");
  auto bad = parse({"--config", "/bad.yaml", "status"}, env);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::Contains("/bad.yaml:1: hubb: unknown key"));
  CHECK_FALSE(parse({"--config", "/missing.yaml", "status"}, env).ok());
}

TEST_CASE("vitalsctl usage errors say what is wrong", "[ctl][unit]") {
  struct Case {
    std::vector<std::string> argv;
    const char* message;
  };
  const auto c = GENERATE(values<Case>({
      {{}, "no command given"},
      {{"frobnicate"}, "unknown command \"frobnicate\""},
      {{"--no-such-flag"}, "unknown option --no-such-flag"},
      {{"status", "extra"}, "status takes no arguments"},
      {{"history", "a", "b"}, "history takes at most one SERVICE"},
      {{"history", "web", "--status", "down"}, "belong to history across services"},
      {{"history", "web", "--agent", "a1"}, "belong to history across services"},
      {{"status", "--limit", "5"}, "belong to the history and audit commands"},
      {{"history", "web", "--limit", "0"}, "--limit must be an integer from 1 to 100000"},
      {{"history", "web", "--since", "last tuesday"}, "--since must be an RFC 3339 time"},
      {{"--output", "yaml", "status"}, "--output must be table or json"},
      {{"--hub"}, "--hub needs a value"},
      {{"--hub", "ftp://x", "status"}, "must start with http:// or https://"},
  }));
  auto r = parse(c.argv);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains(c.message));
}

TEST_CASE("latency and age are short and human", "[ctl][unit]") {
  CHECK(formatLatency(json(0.85)) == "850us");
  CHECK(formatLatency(json(12.34)) == "12.3ms");
  CHECK(formatLatency(json(1250.0)) == "1.25s");
  CHECK(formatLatency(json(nullptr)) == "-");
  CHECK(formatAge(json(4)) == "4s");
  CHECK(formatAge(json(119)) == "119s");
  CHECK(formatAge(json(180)) == "3m");
  CHECK(formatAge(json(7200)) == "2h");
  CHECK(formatAge(json(3 * 86400)) == "3d");
  CHECK(formatAge(json(nullptr)) == "-");
}

TEST_CASE("status prints services and their checks indented, in aligned columns", "[ctl][unit]") {
  const auto body = json::parse(R"({"services":[
    {"name":"db","status":"down","latency_ms":null,"age_seconds":null,"agent":"a1","checks":[
      {"name":"pg","kind":"postgres","agent":"a1","status":"down","latency_ms":null,
       "message":"connection refused\nmore","last_checked":null,"age_seconds":null}]},
    {"name":"web","status":"healthy","latency_ms":12.345,"age_seconds":4,"agent":"a1","checks":[
      {"name":"http","kind":"http","agent":"a1","status":"healthy","latency_ms":12.345,
       "message":"200 OK","last_checked":"2026-01-01T00:00:00Z","age_seconds":4}]}]})");
  CHECK(formatStatus(body) ==
        "SERVICE  STATUS   LATENCY  AGE\n"
        "db       down     -        -\n"
        "  pg     down     -        -    a1  connection refused\n"
        "web      healthy  12.3ms   4s\n"
        "  http   healthy  12.3ms   4s   a1  200 OK\n");
  CHECK(formatStatus(json{{"services", json::array()}}) == "no services yet\n");
}

TEST_CASE("history and agents print one row per item", "[ctl][unit]") {
  const auto results = json::parse(R"([
    {"observed_at":"2026-01-01T00:00:02.000Z","check":"http","agent":"a1","status":"down",
     "latency_ms":1000.5,"message":"timeout"},
    {"observed_at":"2026-01-01T00:00:01.000Z","check":"http","agent":"a1","status":"healthy",
     "latency_ms":0.5,"message":""}])");
  CHECK(formatHistory(results) ==
        "TIME                      CHECK  AGENT  STATUS   LATENCY  MESSAGE\n"
        "2026-01-01T00:00:02.000Z  http   a1     down     1.00s    timeout\n"
        "2026-01-01T00:00:01.000Z  http   a1     healthy  500us\n");
  const auto agents = json::parse(R"({"agents":[
    {"id":"a1","hostname":"h1","version":"0.1.0","age_seconds":3,"check_count":2,
     "deregistered_at":null},
    {"id":"a2","hostname":"h2","version":"0.1.0","age_seconds":600,"check_count":0,
     "deregistered_at":"2026-01-01T00:00:00Z"}]})");
  CHECK(formatAgents(agents) ==
        "AGENT  HOST  VERSION  LAST SEEN  CHECKS  STATE\n"
        "a1     h1    0.1.0    3s ago     2       running\n"
        "a2     h2    0.1.0    10m ago    0       stopped\n");
}

TEST_CASE("agents show prints the agent's actions with their parameters and its checks",
          "[ctl][unit]") {
  FakeHub hub;
  hub.answers.push_back(json::parse(R"({"id":"a1","hostname":"h1","version":"0.2.0",
    "age_seconds":4,"deregistered_at":null,
    "actions":[{"name":"restart-web","params":[{"name":"mode","pattern":"soft|hard"}],
                "timeout_ms":30000,"cooldown_ms":120000,"max_concurrent":1},
               {"name":"old","params":null}],
    "checks":[{"service":"web","check":"http","kind":"http","status":"down",
               "target":"http://127.0.0.1:80/"}]})"));
  ManualTime time;
  std::ostringstream out, err;
  REQUIRE(runCtl(parse({"agents", "show", "a1"}).value(), hub, time, out, err) == 0);
  REQUIRE(hub.paths.size() == 1);
  CHECK(hub.paths[0] == "/api/v1/agents/a1");
  CHECK(out.str() ==
        "agent a1 on h1, version 0.2.0, running, last seen 4s ago\n"
        "ACTION       PARAMETERS        TIMEOUT  COOLDOWN  MAX\n"
        "restart-web  mode=/soft|hard/  30s      120s      1\n"
        "old          ?                 -        -         -\n"
        "SERVICE  CHECK  KIND  STATUS  TARGET\n"
        "web      http   http  down    http://127.0.0.1:80/\n");
  CHECK_FALSE(parse({"agents", "show"}).ok());
}

TEST_CASE("history follows the hub's cursor until --limit rows are in", "[ctl][unit]") {
  FakeHub hub;
  auto rows = [](int from, int n) {
    json a = json::array();
    for (int i = 0; i < n; ++i) {
      a.push_back({{"seq", from - i}, {"check", "c"}, {"status", "healthy"}});
    }
    return a;
  };
  hub.answers.push_back(json{{"results", rows(2500, 1000)}, {"next", "CUR/1"}});
  hub.answers.push_back(json{{"results", rows(1500, 500)}, {"next", "CUR2"}});
  CtlArgs args =
      parse({"--output", "json", "history", "my svc", "--limit", "1500", "--since", "1h"}).value();
  ManualTime time;
  std::ostringstream out, err;
  REQUIRE(runCtl(args, hub, time, out, err) == 0);
  REQUIRE(hub.paths.size() == 2);
  const std::string since = "2027-01-15T07%3A16%3A40.000Z";  // ManualTime's now - 1h
  CHECK(hub.paths[0] == "/api/v1/services/my%20svc/history?since=" + since + "&limit=1000");
  CHECK(hub.paths[1] ==
        "/api/v1/services/my%20svc/history?since=" + since + "&limit=500&cursor=CUR%2F1");
  auto printed = json::parse(out.str());
  CHECK(printed["results"].size() == 1500);
  CHECK(printed["next"] == "CUR2");
}

TEST_CASE("history without a service asks the hub for every service with the filters given",
          "[ctl][unit]") {
  FakeHub hub;
  hub.answers.push_back(json{{"results", json::array({{{"observed_at", "2026-01-01T00:00:02.000Z"},
                                                       {"service", "db"},
                                                       {"check", "tcp"},
                                                       {"agent", "a1"},
                                                       {"status", "down"},
                                                       {"latency_ms", 3.0},
                                                       {"message", "refused"}}})},
                             {"next", nullptr}});
  CtlArgs args =
      parse({"history", "--status", "down,degraded", "--service", "db*", "--agent", "a1"}).value();
  ManualTime time;
  std::ostringstream out, err;
  REQUIRE(runCtl(args, hub, time, out, err) == 0);
  REQUIRE(hub.paths.size() == 1);
  CHECK(hub.paths[0] == "/api/v1/history?status=down%2Cdegraded&service=db%2A&agent=a1&limit=100");
  CHECK(out.str() ==
        "TIME                      SERVICE  CHECK  AGENT  STATUS  LATENCY  MESSAGE\n"
        "2026-01-01T00:00:02.000Z  db       tcp    a1     down    3.0ms    refused\n");
}

TEST_CASE("vitalsctl prints the hub's error and exits 1", "[ctl][unit]") {
  FakeHub hub;
  hub.answers.push_back(
      Error{"hub.error", "the hub answered HTTP 404: no service named \"x\"", {}});
  ManualTime time;
  std::ostringstream out, err;
  CHECK(runCtl(parse({"history", "x"}).value(), hub, time, out, err) == 1);
  CHECK(err.str() == "vitalsctl: the hub answered HTTP 404: no service named \"x\"\n");
  CHECK(out.str().empty());

  hub.answers.push_back(json{{"services", json::array()}});
  std::ostringstream out2, err2;
  CHECK(runCtl(parse({"status"}).value(), hub, time, out2, err2) == 0);
  CHECK(out2.str() == "no services yet\n");
  CHECK(hub.paths.back() == "/api/v1/services");
}

TEST_CASE("urlEncode keeps unreserved characters only", "[ctl][unit]") {
  CHECK(urlEncode("a-b_c.d~e") == "a-b_c.d~e");
  CHECK(urlEncode("a b/c?d&e=f") == "a%20b%2Fc%3Fd%26e%3Df");
  CHECK(urlEncode("\xc3\xa9") == "%C3%A9");
}

TEST_CASE("vitalsctl alerts and silences commands parse their subcommands and refuse stray flags",
          "[ctl][unit]") {
  auto a = parse({"alerts"});
  REQUIRE(a.ok());
  CHECK(a->command == Command::AlertsList);
  a = parse({"alerts", "--state", "resolved", "--service", "web"});
  REQUIRE(a.ok());
  CHECK(a->state == "resolved");
  CHECK(a->alert_service == "web");
  a = parse({"alerts", "ack", "42"});
  REQUIRE(a.ok());
  CHECK(a->command == Command::AlertsAck);
  CHECK(a->item_id == "42");
  a = parse({"silences", "add", "--service", "web-*", "--duration", "2h", "--comment", "deploy",
             "--maintenance"});
  REQUIRE(a.ok());
  CHECK(a->command == Command::SilencesAdd);
  CHECK(a->maintenance);
  CHECK(a->agent == "*");
  a = parse({"silences", "expire", "7"});
  REQUIRE(a.ok());
  CHECK(a->command == Command::SilencesExpire);

  auto msg = [](std::vector<std::string> argv) {
    auto r = parse(std::move(argv));
    return r.ok() ? std::string("ok") : r.error().message;
  };
  CHECK_THAT(msg({"alerts", "ack"}), Catch::Contains("alerts ack needs exactly one numeric ID"));
  CHECK_THAT(msg({"alerts", "ack", "x1"}), Catch::Contains("numeric ID"));
  CHECK_THAT(msg({"alerts", "--state", "closed"}), Catch::Contains("--state must be open"));
  CHECK_THAT(msg({"silences", "add", "--service", "web", "--duration", "2h"}),
             Catch::Contains("--comment"));
  CHECK_THAT(msg({"silences", "add", "--duration", "2h", "--comment", "x"}),
             Catch::Contains("needs --service, --agent or --check"));
  CHECK_THAT(msg({"silences", "add", "--service", "w", "--duration", "soon", "--comment", "x"}),
             Catch::Contains("--duration must be a duration"));
  CHECK_THAT(msg({"status", "--comment", "x"}), Catch::Contains("belong to silences add"));
  CHECK_THAT(msg({"silences", "mute"}), Catch::Contains("silences takes list"));
}

TEST_CASE(
    "vitalsctl uptime, repairs, approvals, policies, preflight and audit map to their API "
    "calls",
    "[ctl][unit]") {
  auto call = [](std::vector<std::string> argv) {
    auto r = parse(std::move(argv), test::fakeEnv());
    REQUIRE(r.ok());
    CHECK(r->command == Command::Api);
    return r->api_method + " " + r->api_path;
  };
  CHECK(call({"uptime", "--window", "7d"}) == "GET /api/v1/uptime?window=7d");
  CHECK(call({"uptime", "web/eu"}) == "GET /api/v1/services/web%2Feu/uptime");
  CHECK(call({"repairs", "--status", "pending", "--service", "web"}) ==
        "GET /api/v1/repairs?status=pending&service=web");
  CHECK(call({"approvals"}) == "GET /api/v1/approvals");
  CHECK(call({"approvals", "approve", "12"}) == "POST /api/v1/approvals/12/approve");
  CHECK(call({"policies"}) == "GET /api/v1/policies");
  CHECK(call({"preflight", "run"}) == "POST /api/v1/preflight/run");
  CHECK(call({"agents", "forget", "old-node"}) == "DELETE /api/v1/agents/old-node");
  CHECK(call({"audit", "--actor", "key:1", "--since", "2h", "--limit", "50"}) ==
        "GET /api/v1/audit?since=2h&actor=key%3A1&limit=50");
  auto o = parse({"preflight", "override", "agents", "--reason", "maintenance", "--expires", "4h"});
  REQUIRE(o.ok());
  CHECK(nlohmann::json::parse(*o->api_body) ==
        nlohmann::json{{"check", "agents"}, {"reason", "maintenance"}, {"expires_in", "4h"}});

  auto msg = [](std::vector<std::string> argv) {
    auto r = parse(std::move(argv));
    return r.ok() ? std::string("ok") : r.error().message;
  };
  CHECK_THAT(msg({"uptime", "--window", "1y"}), Catch::Contains("--window must be 7d or 30d"));
  CHECK_THAT(msg({"approvals", "approve"}), Catch::Contains("approve ID"));
  CHECK_THAT(msg({"agents", "forget"}),
             Catch::Contains("agents forget needs exactly one agent ID"));
  CHECK_THAT(msg({"agents", "forget", "a", "b"}), Catch::Contains("exactly one agent ID"));
  CHECK_THAT(msg({"preflight", "override", "agents"}), Catch::Contains("--reason"));
  CHECK_THAT(msg({"repairs", "--window", "7d"}), Catch::Contains("--window belongs to uptime"));
  CHECK_THAT(msg({"policies", "set", "web"}), Catch::Contains("--file"));
  CHECK_THAT(msg({"federation"}), Catch::Contains("hubs [ID] or services"));
  auto hubs = parse({"federation", "hubs"});
  REQUIRE(hubs.ok());
  CHECK(hubs->api_path == "/api/v1/federation/hubs");
  auto one = parse({"federation", "hubs", "site-b"});
  REQUIRE(one.ok());
  CHECK(one->api_path == "/api/v1/federation/hubs/site-b");
  auto svcs = parse({"federation", "services", "site-b", "--status", "down"});
  REQUIRE(svcs.ok());
  CHECK(svcs->api_path == "/api/v1/federation/services?status=down&hub=site-b");
  CHECK(svcs->api_list_key == "services");
}

TEST_CASE("vitalsctl agents enroll-token, tokens and revoke map to the enrollment API calls",
          "[ctl][unit]") {
  auto r = parse({"agents", "enroll-token", "--ttl", "2h", "--labels", "site=east,rack=r1"});
  REQUIRE(r.ok());
  CHECK(r->command == Command::Api);
  CHECK(r->api_method + " " + r->api_path == "POST /api/v1/enrollment-tokens");
  CHECK(nlohmann::json::parse(*r->api_body) ==
        nlohmann::json{{"ttl", "2h"}, {"labels", {{"site", "east"}, {"rack", "r1"}}}});
  auto d = parse({"agents", "enroll-token"});
  REQUIRE(d.ok());
  CHECK(nlohmann::json::parse(*d->api_body) == nlohmann::json{{"ttl", "1h"}});
  auto t = parse({"agents", "tokens"});
  REQUIRE(t.ok());
  CHECK(t->api_method + " " + t->api_path == "GET /api/v1/enrollment-tokens");
  auto v = parse({"agents", "revoke", "web-01"});
  REQUIRE(v.ok());
  CHECK(v->api_method + " " + v->api_path == "POST /api/v1/agents/web-01/revoke");
  auto plain = parse({"agents"});
  REQUIRE(plain.ok());
  CHECK(plain->command == Command::Agents);

  auto msg = [](std::vector<std::string> argv) {
    auto e = parse(std::move(argv));
    REQUIRE_FALSE(e.ok());
    return e.error().message;
  };
  CHECK(msg({"agents", "enroll-token", "--ttl", "soon"}).find("--ttl") != std::string::npos);
  CHECK(msg({"agents", "enroll-token", "--labels", "novalue"}).find("k=v") != std::string::npos);
  CHECK(msg({"agents", "revoke"}).find("exactly one agent ID") != std::string::npos);
  CHECK(msg({"agents", "revoke", "a", "--ttl", "1h"}).find("enroll-token") != std::string::npos);
  CHECK(msg({"agents", "frobnicate"}).find("enroll-token") != std::string::npos);
  CHECK(msg({"status", "--labels", "a=b"}).find("enroll-token") != std::string::npos);
}

TEST_CASE(
    "vitalsctl security scans, scan and findings map to their API calls and refuse bad "
    "filters",
    "[ctl][unit]") {
  auto call = [](std::vector<std::string> argv) {
    auto r = parse(std::move(argv), test::fakeEnv());
    REQUIRE(r.ok());
    CHECK(r->command == Command::Api);
    return r->api_method + " " + r->api_path + " [" + r->api_list_key + "]";
  };
  CHECK(call({"security", "scans"}) == "GET /api/v1/security/scans [scans]");
  CHECK(call({"security", "scans", "--service", "web", "--limit", "20"}) ==
        "GET /api/v1/security/scans?service=web&limit=20 [scans]");
  CHECK(call({"security", "scan", "42"}) == "GET /api/v1/security/scans/42 [findings]");
  CHECK(call({"security", "findings", "--severity", "critical", "--status", "new", "--service",
              "web"}) ==
        "GET /api/v1/security/findings?service=web&severity=critical&status=new [findings]");

  auto msg = [](std::vector<std::string> argv) {
    auto r = parse(std::move(argv));
    return r.ok() ? std::string("ok") : r.error().message;
  };
  CHECK_THAT(msg({"security"}), Catch::Contains("scans, scan ID or findings"));
  CHECK_THAT(msg({"security", "scan"}), Catch::Contains("one numeric scan ID"));
  CHECK_THAT(msg({"security", "scan", "abc"}), Catch::Contains("one numeric scan ID"));
  CHECK_THAT(msg({"security", "findings", "--status", "closed"}),
             Catch::Contains("--status must be new, open or fixed"));
  CHECK_THAT(msg({"security", "findings", "--severity", "severe"}),
             Catch::Contains("--severity must be critical, high, medium, low or unknown"));
  CHECK_THAT(msg({"security", "scans", "--severity", "high"}),
             Catch::Contains("--severity belongs to security findings"));
  CHECK_THAT(msg({"repairs", "--limit", "5"}), Catch::Contains("--limit belongs to"));

  // Findings print as a table of the columns that identify them.
  auto findings = parse({"security", "findings"});
  REQUIRE(findings.ok());
  const nlohmann::json body = {{"findings",
                                {{{"vulnerability_id", "CVE-2024-1"},
                                  {"package", "openssl"},
                                  {"severity", "critical"},
                                  {"installed_version", "3.0.11"},
                                  {"fixed_version", "3.0.13"},
                                  {"status", "new"},
                                  {"service", "web"},
                                  {"check", "web-image"},
                                  {"first_seen", "x"},
                                  {"last_seen", "y"},
                                  {"title", "t"},
                                  {"target", "img"},
                                  {"scan_id", 4},
                                  {"agent", "a"}}}},
                               {"next_cursor", nullptr}};
  const std::string table = formatGeneric(body, findings->api_list_key, findings->api_columns);
  CHECK_THAT(table, Catch::StartsWith("next_cursor: -\nSEVERITY"));
  CHECK_THAT(table, Catch::Contains("VULNERABILITY_ID"));
  CHECK_THAT(table, Catch::Contains("CVE-2024-1"));
  CHECK_THAT(table, Catch::Contains("web-image"));
}

TEST_CASE("logs and jobs commands become their API calls, and bad flags are refused",
          "[ctl][unit]") {
  auto a = parse({"logs", "stats", "--window", "7d"});
  REQUIRE(a.ok());
  CHECK(a->command == Command::Api);
  CHECK(a->api_path == "/api/v1/logs/stats?window=7d");
  CHECK(a->api_list_key == "services");
  a = parse({"logs", "stats", "check out"});
  REQUIRE(a.ok());
  CHECK(a->api_path == "/api/v1/logs/stats/check%20out");
  a = parse({"logs", "top-errors", "--service", "api", "--limit", "5"});
  REQUIRE(a.ok());
  CHECK(a->api_path == "/api/v1/logs/top-errors?service=api&limit=5");
  a = parse({"logs", "thresholds", "set", "api", "--errors", "10", "--warnings", "none"});
  REQUIRE(a.ok());
  CHECK(a->api_method == "PUT");
  CHECK(a->api_path == "/api/v1/logs/thresholds/api");
  CHECK(json::parse(*a->api_body) ==
        json({{"errors_per_minute", 10.0}, {"warnings_per_minute", nullptr}}));
  a = parse({"logs", "thresholds", "unset", "api"});
  REQUIRE(a.ok());
  CHECK(a->api_method == "DELETE");
  a = parse({"jobs", "--status", "failed", "--type", "log_stats.daily"});
  REQUIRE(a.ok());
  CHECK(a->api_path == "/api/v1/jobs?type=log_stats.daily&status=failed");
  CHECK(parse({"alerts", "--kind", "log_rate"})->kind == "log_rate");

  struct Case {
    std::vector<std::string> argv;
    const char* message;
  };
  const auto c = GENERATE(values<Case>({
      {{"logs", "stats", "--window", "2h"}, "--window must be 1h, 24h, 7d or 30d"},
      {{"logs", "thresholds", "set", "api"}, "needs --errors N and/or --warnings N"},
      {{"logs", "thresholds", "set", "api", "--errors", "-3"}, "--errors must be a number"},
      {{"logs"}, "logs needs stats"},
      {{"jobs", "--status", "running"}, "--status must be ok or failed"},
      {{"uptime", "--errors", "3"}, "--errors and --warnings belong to logs thresholds set"},
      {{"alerts", "--kind", "cpu"}, "--kind must be status, log_rate or agents"},
      {{"jobs", "--kind", "log_rate"}, "--kind belongs to alerts"},
  }));
  auto r = parse(c.argv);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains(c.message));
}

TEST_CASE("checks and services set become the registry's API calls", "[ctl][unit]") {
  auto a = parse({"checks", "list", "node-1"});
  REQUIRE(a.ok());
  CHECK(a->api_method == "GET");
  CHECK(a->api_path == "/api/v1/agents/node-1/checks");
  CHECK(a->api_list_key == "checks");

  a = parse({"checks", "add", "node-1", R"({"name":"web","kind":"tcp","host":"h","port":80})"});
  REQUIRE(a.ok());
  CHECK(a->api_method == "PUT");
  CHECK(a->api_path == "/api/v1/agents/node-1/checks/web");
  CHECK(json::parse(*a->api_body)["port"] == 80);

  a = parse(
      {"checks", "add", "node-1", "--file", "c.json"},
      test::fakeEnv({}, {{"c.json", R"({"name":"db","kind":"tcp","host":"h","port":5432})"}}));
  REQUIRE(a.ok());
  CHECK(a->api_path == "/api/v1/agents/node-1/checks/db");

  a = parse({"checks", "rm", "node-1", "web"});
  REQUIRE(a.ok());
  CHECK(a->api_method == "DELETE");
  CHECK(a->api_path == "/api/v1/agents/node-1/checks/web");

  a = parse({"services", "set", "web", "--owner", "team-a", "--tag", "prod", "--tag", "edge",
             "--depends-on", "db", "--service-version", "1.2"});
  REQUIRE(a.ok());
  CHECK(a->api_method == "PUT");
  CHECK(a->api_path == "/api/v1/services/web");
  const auto body = json::parse(*a->api_body);
  CHECK(body["owner"] == "team-a");
  CHECK(body["tags"] == json({"prod", "edge"}));
  CHECK(body["depends_on"] == json({"db"}));
  CHECK(body["version"] == "1.2");
  CHECK(body["description"] == "");

  CHECK_FALSE(parse({"checks", "add", "node-1", "not json"}).ok());
  CHECK_FALSE(parse({"checks", "add", "node-1"}).ok());
  CHECK_FALSE(parse({"checks", "rm", "node-1"}).ok());
  CHECK_FALSE(parse({"services", "set"}).ok());
  CHECK_FALSE(parse({"status", "--owner", "x"}).ok());
}
