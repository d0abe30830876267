#include <catch2/catch.hpp>

#include "agent/config/config_loader.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace std::chrono_literals;

namespace {

LoadOptions options() {
  LoadOptions o;
  o.hostname = "web-01.example.com";
  o.readable = [](const std::string& path) { return path.rfind("/secrets/", 0) == 0; };
  return o;
}

struct Loaded {
  std::optional<AgentConfig> config;
  config::Problems problems;
};

Loaded load(const std::string& yaml) {
  Loaded out;
  out.config = parseAgentConfig(yaml, "agent.yaml", options(), out.problems);
  return out;
}

const char* const kFull = R"(agent_id: web-01
labels: {env: dev, team: core}
nats:
  url: nats://127.0.0.1:4222
  user: agent
  password_file: /secrets/nats-password
  publish_timeout: 3s
heartbeat_interval: 15s
log: {level: debug, format: json}
publish:
  max_batch: 50
  max_delay: 100ms
defaults: {interval: 20s, timeout: 4s, retries: 4, recover: 2, retry_backoff: 2s}
checks:
  - name: sample-web
    kind: http
    interval: 5s
    timeout: 2s
    retries: 2
    recover: 1
    retry_backoff: 1s
    degraded_latency: 500ms
    url: http://127.0.0.1:8080/healthz?full=1
    method: HEAD
    expected_status: [200, 204]
    headers: {X-Token: abc}
  - name: db
    service: postgres
    kind: tcp
    host: 127.0.0.1
    port: 5432
)";

}  // namespace

TEST_CASE("a full agent config is read into the AgentConfig value", "[agent][unit][config]") {
  auto l = load(kFull);
  INFO(l.problems.format());
  REQUIRE(l.config);
  const AgentConfig& c = *l.config;
  CHECK(c.agent_id == "web-01");
  CHECK(c.labels == std::map<std::string, std::string>{{"env", "dev"}, {"team", "core"}});
  CHECK(c.nats.url == "nats://127.0.0.1:4222");
  CHECK(c.nats.user == "agent");
  CHECK(c.nats.password_file == "/secrets/nats-password");
  CHECK(c.nats.publish_timeout == 3s);
  CHECK(c.heartbeat_interval == 15s);
  CHECK(c.log.level == "debug");
  CHECK(c.log.format == log::Format::Json);
  CHECK(c.publish.max_batch == 50);
  CHECK(c.publish.max_delay == 100ms);
  CHECK(c.source_file == "agent.yaml");
  CHECK(c.config_hash.size() == 16);
  REQUIRE(c.checks.size() == 2);

  const CheckConfig& web = c.checks[0];
  CHECK(web.name == "sample-web");
  CHECK(web.service == "sample-web");  // defaults to the name
  CHECK(web.kind == "http");
  CHECK(web.interval == 5s);
  CHECK(web.timeout == 2s);
  CHECK(web.retries == 2);
  CHECK(web.recover == 1);
  CHECK(web.retry_backoff == 1s);
  CHECK(web.degraded_latency == 500ms);
  const auto& http = std::get<HttpCheckSpec>(web.spec);
  CHECK(http.scheme == "http");
  CHECK(http.host == "127.0.0.1");
  CHECK(http.port == 8080);
  CHECK(http.path == "/healthz?full=1");
  CHECK(http.method == "HEAD");
  CHECK(http.expected_status == std::vector<int>{200, 204});
  CHECK(http.headers == std::vector<std::pair<std::string, std::string>>{{"X-Token", "abc"}});
  CHECK(web.target() == "http://127.0.0.1:8080/healthz?full=1");

  const CheckConfig& db = c.checks[1];
  CHECK(db.service == "postgres");
  CHECK(db.interval == 20s);  // from defaults
  CHECK(db.timeout == 4s);
  CHECK(db.retries == 4);
  CHECK(db.recover == 2);
  CHECK(db.retry_backoff == 2s);
  CHECK_FALSE(db.degraded_latency.has_value());
  const auto& tcp = std::get<TcpCheckSpec>(db.spec);
  CHECK(tcp.host == "127.0.0.1");
  CHECK(tcp.port == 5432);
  CHECK(db.target() == "127.0.0.1:5432");
}

TEST_CASE("an almost empty config gets the documented defaults", "[agent][unit][config]") {
  auto l = load("checks:\n  - name: db\n    kind: tcp\n    host: localhost\n    port: 1\n");
  INFO(l.problems.format());
  REQUIRE(l.config);
  const AgentConfig& c = *l.config;
  CHECK(c.agent_id == "web-01");  // host name up to the first dot
  CHECK(c.nats.url == "nats://127.0.0.1:4222");
  CHECK(c.nats.publish_timeout == 2s);
  CHECK(c.heartbeat_interval == 10s);
  CHECK(c.log.level == "info");
  CHECK(c.log.format == log::Format::Auto);
  CHECK(c.publish.max_batch == 100);
  CHECK(c.publish.max_delay == 200ms);
  CHECK(c.spool.dir.empty());
  CHECK(c.spool.max_bytes == 64ULL * 1024 * 1024);
  CHECK(c.spool.drain_rate == 50);
  REQUIRE(c.checks.size() == 1);
  CHECK(c.checks[0].interval == 30s);
  CHECK(c.checks[0].timeout == 5s);
  CHECK(c.checks[0].retries == 3);
  CHECK(c.checks[0].recover == 1);
  CHECK(c.checks[0].retry_backoff == 1s);
}

TEST_CASE("an empty file is a valid agent with no checks", "[agent][unit][config]") {
  auto l = load("");
  REQUIRE(l.config);
  CHECK(l.config->checks.empty());
}

TEST_CASE("http defaults: GET, any 2xx, port from the scheme", "[agent][unit][config]") {
  auto l = load("checks:\n  - name: w\n    kind: http\n    url: https://example.org\n");
  INFO(l.problems.format());
  REQUIRE(l.config);
  const auto& http = std::get<HttpCheckSpec>(l.config->checks[0].spec);
  CHECK(http.method == "GET");
  CHECK(http.expected_status.empty());
  CHECK(http.port == 443);
  CHECK(http.path == "/");
  CHECK_FALSE(http.body_contains.has_value());
}

struct Invalid {
  const char* yaml;
  const char* expected;  // a line of the report, "agent.yaml:LINE: path: message"
};

TEST_CASE("each invalid config is refused with file, line, path and message",
          "[agent][unit][config]") {
  const Invalid row = GENERATE(values<Invalid>({
      {"bogus: 1\n", "agent.yaml:1: bogus: unknown key"},
      {"agent_id: web.01\n",
       "agent.yaml:1: agent_id: must contain only letters, digits, '_' and '-', got \"web.01\""},
      {"heartbeat_interval: 10\n", "agent.yaml:1: heartbeat_interval: must be a duration"},
      {"nats:\n  url: http://x\n", "agent.yaml:2: nats.url: must be nats://host:port"},
      {"nats:\n  password: hunter2\n",
       "agent.yaml:2: nats.password: secrets are not accepted inline: use password_file"},
      {"nats:\n  password_file: /secrets/p\n", "agent.yaml:2: nats.password_file: needs user"},
      {"nats:\n  user: a\n  password_file: /etc/missing\n",
       "agent.yaml:3: nats.password_file: cannot read \"/etc/missing\""},
      {"nats:\n  credentials_file: /secrets/c\n  user: a\n",
       "agent.yaml:3: nats.user: use either credentials_file or user/password_file, not both"},
      {"log:\n  level: loud\n", "agent.yaml:2: log.level: must be one of trace"},
      {"log:\n  format: xml\n", "agent.yaml:2: log.format: must be auto, text or json"},
      {"publish:\n  max_batch: 0\n",
       "agent.yaml:2: publish.max_batch: must be between 1 and 10000"},
      {"publish:\n  max_buffered: 10\n",
       "agent.yaml:2: publish.max_buffered: was replaced by spool.max_bytes"},
      {"spool:\n  max_bytes: 100\n", "agent.yaml:2: spool.max_bytes: must be between 65536"},
      {"spool:\n  drain_rate: 0\n", "agent.yaml:2: spool.drain_rate: must be between 1"},
      {"spool:\n  dirr: /x\n", "agent.yaml:2: spool.dirr: unknown key"},
      {"defaults:\n  flap_high: 20\n  flap_low: 30\n",
       "agent.yaml:3: defaults.flap_low: flap_low (30%) must be below flap_high (20%)"},
      {"include: /nonexistent-dir-vitals/*.yaml\nconf_d: \"\"\n",
       "agent.yaml:2: conf_d: must not be empty"},
      {"defaults:\n  interval: 0s\n", "agent.yaml:2: defaults.interval: must be > 0s"},
      {"checks:\n  - kind: tcp\n    host: h\n    port: 1\n",
       "agent.yaml:2: checks[0].name: is required"},
      {"checks:\n  - name: a b\n    kind: tcp\n    host: h\n    port: 1\n",
       "agent.yaml:2: checks[0].name: must contain only letters"},
      {"checks:\n  - name: a\n    kind: tcp\n    host: h\n    port: 1\n  - name: a\n    kind: tcp\n"
       "    host: h\n    port: 2\n",
       "agent.yaml:6: checks[1].name: duplicate check name \"a\" (first at line 2)"},
      {"checks:\n  - name: a\n    service: x.y\n    kind: tcp\n    host: h\n    port: 1\n",
       "agent.yaml:3: checks[0].service: must contain only letters"},
      {"checks:\n  - name: a\n    host: h\n",
       "agent.yaml:2: checks[0].kind: is required (http, tcp, postgres"},
      {"checks:\n  - name: a\n    kind: postgres\n    dsn: x\n    url: http://h/\n",
       "agent.yaml:5: checks[0].url: url is not valid for kind postgres"},
      {"checks:\n  - name: a\n    kind: smtp\n",
       "agent.yaml:3: checks[0].kind: unknown kind \"smtp\""},
      {"checks:\n  - name: a\n    kind: tcp\n    host: h\n    port: 1\n    interval: 0s\n",
       "agent.yaml:6: checks[0].interval: must be > 0s"},
      {"checks:\n  - name: a\n    kind: tcp\n    host: h\n    port: 1\n    interval: 2d\n",
       "agent.yaml:6: checks[0].interval: must be at most 1d"},
      {"checks:\n  - name: a\n    kind: tcp\n    host: h\n    port: 1\n    interval: 5s\n    "
       "timeout: 5s\n",
       "agent.yaml:7: checks[0].timeout: must be less than interval (5s)"},
      {"defaults:\n  timeout: 10s\nchecks:\n  - name: a\n    kind: tcp\n    host: h\n    port: 1\n"
       "    interval: 5s\n",
       "agent.yaml:4: checks[0].timeout: timeout 10s from defaults must be less than interval "
       "(5s)"},
      {"checks:\n  - name: a\n    kind: tcp\n    host: h\n    port: 1\n    retries: 0\n",
       "agent.yaml:6: checks[0].retries: must be between 1 and 100, got 0"},
      {"checks:\n  - name: a\n    kind: tcp\n    host: h\n    port: 1\n    recover: 0\n",
       "agent.yaml:6: checks[0].recover: must be between 1 and 100, got 0"},
      {"checks:\n  - name: a\n    kind: tcp\n    host: h\n    port: 1\n    degraded_latency: 9s\n",
       "agent.yaml:6: checks[0].degraded_latency: must be less than timeout (5s)"},
      {"checks:\n  - name: a\n    kind: http\n",
       "agent.yaml:2: checks[0].url: is required for kind http"},
      {"checks:\n  - name: a\n    kind: http\n    url: ftp://x/\n",
       "agent.yaml:4: checks[0].url: must start with http:// or https://"},
      {"checks:\n  - name: a\n    kind: http\n    url: http://:80/\n",
       "agent.yaml:4: checks[0].url: has no host"},
      {"checks:\n  - name: a\n    kind: http\n    url: http://h:99999/\n",
       "agent.yaml:4: checks[0].url: port must be between 1 and 65535"},
      {"checks:\n  - name: a\n    kind: http\n    url: http://h/\n    method: DELETE\n",
       "agent.yaml:5: checks[0].method: must be GET, HEAD, POST or PUT"},
      {"checks:\n  - name: a\n    kind: http\n    url: http://h/\n    expected_status: [200, "
       "700]\n",
       "agent.yaml:5: checks[0].expected_status: every item must be an integer between 100 and "
       "599"},
      {"checks:\n  - name: a\n    kind: http\n    url: http://h/\n    method: HEAD\n    "
       "body_contains: ok\n",
       "agent.yaml:6: checks[0].body_contains: is not valid with method HEAD"},
      {"checks:\n  - name: a\n    kind: http\n    url: http://h/\n    headers: {\"Bad Name\": x}\n",
       "agent.yaml:5: checks[0].headers: invalid header name \"Bad Name\""},
      {"checks:\n  - name: a\n    kind: http\n    url: http://h/\n    port: 80\n",
       "agent.yaml:5: checks[0].port: port is not valid for kind http"},
      {"checks:\n  - name: a\n    kind: tcp\n    host: h\n    port: 1\n    url: http://h/\n",
       "agent.yaml:6: checks[0].url: url is not valid for kind tcp"},
      {"checks:\n  - name: a\n    kind: tcp\n    port: 1\n",
       "agent.yaml:2: checks[0].host: is required for kind tcp"},
      {"checks:\n  - name: a\n    kind: tcp\n    host: h\n",
       "agent.yaml:2: checks[0].port: is required for kind tcp"},
      {"checks:\n  - name: a\n    kind: tcp\n    host: h\n    port: 70000\n",
       "agent.yaml:5: checks[0].port: must be between 1 and 65535, got 70000"},
      {"checks:\n  - name: a\n    kind: tcp\n    host: h\n    port: 1\n    colour: red\n",
       "agent.yaml:6: checks[0].colour: unknown key"},
      {"checks: nope\n", "agent.yaml:1: checks: must be a list"},
      {"agent_id: [\n", "agent.yaml:2: invalid YAML"},
  }));
  auto l = load(row.yaml);
  INFO("yaml:\n" << row.yaml << "report:\n" << l.problems.format());
  CHECK_FALSE(l.config.has_value());
  CHECK_THAT(l.problems.format(), Catch::Contains(row.expected));
}

TEST_CASE("every problem is listed, in line order", "[agent][unit][config]") {
  auto l = load(
      "agent_id: a.b\n"
      "checks:\n"
      "  - name: web\n"
      "    kind: http\n"
      "    interval: 30\n"
      "    url: http://127.0.0.1:1/\n"
      "  - name: db\n"
      "    kind: tcp\n"
      "    host: 127.0.0.1\n"
      "    port: 70000\n"
      "    url: http://x/\n"
      "bogus: 1\n");
  REQUIRE_FALSE(l.config);
  const auto& list = l.problems.list();
  REQUIRE(list.size() == 5);
  CHECK(list[0].format() ==
        "agent.yaml:1: agent_id: must contain only letters, digits, '_' and "
        "'-', got \"a.b\"");
  CHECK(list[1].line == 5);
  CHECK(list[1].path == "checks[0].interval");
  CHECK(list[2].line == 10);
  CHECK(list[2].path == "checks[1].port");
  // A key of the wrong kind is explained once, not also reported as an unknown key.
  CHECK(list[3].format() == "agent.yaml:11: checks[1].url: url is not valid for kind tcp");
  CHECK(list[4].format() == "agent.yaml:12: bogus: unknown key");
}

TEST_CASE("parseHttpUrl splits scheme, host, port and path", "[agent][unit][config]") {
  struct Row {
    const char* url;
    const char* scheme;
    const char* host;
    int port;
    const char* path;
  };
  const Row row = GENERATE(values<Row>({
      {"http://h", "http", "h", 80, "/"},
      {"https://h", "https", "h", 443, "/"},
      {"http://h:8080/a/b?c=d", "http", "h", 8080, "/a/b?c=d"},
      {"http://h?x=1", "http", "h", 80, "/?x=1"},
      {"http://h/p#frag", "http", "h", 80, "/p"},
      {"http://[::1]:9000/healthz", "http", "::1", 9000, "/healthz"},
      {"https://[fe80::1]/", "https", "fe80::1", 443, "/"},
  }));
  HttpCheckSpec spec;
  INFO(row.url);
  REQUIRE(parseHttpUrl(row.url, spec).empty());
  CHECK(spec.scheme == row.scheme);
  CHECK(spec.host == row.host);
  CHECK(spec.port == row.port);
  CHECK(spec.path == row.path);
}

TEST_CASE("parseHttpUrl refuses what it cannot probe", "[agent][unit][config]") {
  const std::string url = GENERATE("ftp://h/", "http://", "http://user:pw@h/", "http://h:0/",
                                   "http://h:/", "http://[::1/", "http://h:8o/", "http://h /x");
  HttpCheckSpec spec;
  INFO(url);
  CHECK_FALSE(parseHttpUrl(url, spec).empty());
}

TEST_CASE("the default agent id is the host name's first label as a token",
          "[agent][unit][config]") {
  CHECK(agentIdFromHostname("web-01.example.com") == "web-01");
  CHECK(agentIdFromHostname("db_2") == "db_2");
  CHECK(agentIdFromHostname("odd host") == "odd_host");
  CHECK(agentIdFromHostname("") == "_");
}

TEST_CASE("the config hash tells different texts apart and is stable", "[agent][unit][config]") {
  auto a = load("agent_id: a\n");
  auto b = load("agent_id: b\n");
  auto a2 = load("agent_id: a\n");
  REQUIRE(a.config);
  REQUIRE(b.config);
  REQUIRE(a2.config);
  CHECK(a.config->config_hash != b.config->config_hash);
  CHECK(a.config->config_hash == a2.config->config_hash);
}

TEST_CASE("a missing config file is one problem, not a crash", "[agent][unit][config]") {
  config::Problems problems;
  auto c = loadAgentConfigFile("/nonexistent/agent.yaml", options(), problems);
  CHECK_FALSE(c);
  CHECK(problems.format() == "/nonexistent/agent.yaml: cannot read file\n");
}

TEST_CASE("a bad value deep in a large checks list names its own file line and index",
          "[agent][unit][config]") {
  std::string yaml = "agent_id: big\ndefaults: {interval: 10s, timeout: 2s}\nchecks:\n";
  for (int i = 0; i < 2000; ++i) {
    const int port = i == 1500 ? 70000 : 1000 + i;
    if (i % 2 == 0) {  // block style, three lines
      yaml += "  - name: c" + std::to_string(i) + "\n    kind: tcp\n    host: 127.0.0.1\n" +
              "    port: " + std::to_string(port) + "\n";
    } else {  // one flow mapping per line
      yaml += "  - {name: c" + std::to_string(i) +
              ", kind: tcp, host: 127.0.0.1, port: " + std::to_string(port) + "}\n";
    }
  }
  yaml += "bogus_after_checks: 1\n";
  // Check 1500 (even: four lines) starts after 3 header lines + 750 * 4 + 750 * 1 lines.
  const int line_of_port = 3 + 750 * 4 + 750 * 1 + 4;
  auto l = load(yaml);
  INFO(l.problems.format());
  REQUIRE_FALSE(l.config);
  REQUIRE(l.problems.list().size() == 2);
  CHECK(l.problems.list()[0].format() ==
        "agent.yaml:" + std::to_string(line_of_port) +
            ": checks[1500].port: must be between 1 and 65535, got 70000");
  CHECK(l.problems.list()[1].path == "bogus_after_checks");
  CHECK(l.problems.list()[1].line == 3 + 1000 * 4 + 1000 * 1 + 1);
}

TEST_CASE("a large streamed checks list gives every check, its definition and the defaults",
          "[agent][unit][config]") {
  std::string yaml = "agent_id: big\ndefaults: {interval: 10s, timeout: 2s}\nchecks:\n";
  for (int i = 0; i < 500; ++i) {
    yaml += "  - {name: c" + std::to_string(i) +
            ", kind: tcp, host: 127.0.0.1, port: " + std::to_string(1000 + i) + "}\n";
  }
  auto l = load(yaml);
  INFO(l.problems.format());
  REQUIRE(l.config);
  REQUIRE(l.config->checks.size() == 500);
  CHECK(l.config->checks[499].name == "c499");
  CHECK(l.config->checks[499].interval == 10s);
  CHECK(l.config->checks[499].timeout == 2s);
  CHECK(std::get<TcpCheckSpec>(l.config->checks[499].spec).port == 1499);
  // The definition (what reload compares) is the check's own YAML plus the defaults.
  CHECK_THAT(l.config->checks[0].definition, Catch::Contains("1000"));
  CHECK_THAT(l.config->checks[0].definition, Catch::Contains("--- defaults"));
  CHECK(l.config->checks[0].definition != l.config->checks[1].definition);
}
