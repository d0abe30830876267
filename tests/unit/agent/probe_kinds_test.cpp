// Pure parts of the probe kinds: config readers, and the evaluators that turn what a probe saw
// into an outcome (fixture strings; no sockets, processes or sleeping).
#include <catch2/catch.hpp>

#include "agent/config/config_loader.hpp"
#include "agent/probe/container_probe.hpp"
#include "agent/probe/disk_probe.hpp"
#include "agent/probe/exec_probe.hpp"
#include "agent/probe/heartbeat_listener.hpp"
#include "agent/probe/heartbeat_probe.hpp"
#include "agent/probe/http_probe.hpp"
#include "agent/probe/log_probe.hpp"
#include "agent/probe/redis_probe.hpp"
#include "agent/probe/systemd_probe.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace std::chrono_literals;

namespace {

struct Loaded {
  std::optional<AgentConfig> config;
  config::Problems problems;
};

Loaded load(const std::string& yaml) {
  LoadOptions o;
  o.hostname = "h";
  o.readable = [](const std::string& path) { return path.rfind("/secrets/", 0) == 0; };
  Loaded out;
  out.config = parseAgentConfig(yaml, "agent.yaml", o, out.problems);
  return out;
}

template <typename Spec>
Spec onlySpec(const std::string& yaml) {
  auto l = load(yaml);
  INFO(l.problems.format());
  REQUIRE(l.config);
  REQUIRE(l.config->checks.size() == 1);
  return std::get<Spec>(l.config->checks[0].spec);
}

}  // namespace

// ---- config ----

TEST_CASE("every kind's keys are read into its spec", "[agent][unit][config]") {
  auto http = onlySpec<HttpCheckSpec>(R"(checks:
  - {name: a, kind: http, url: "https://h/x", body_regex: "ok|fine", json_path: "$.data[0].status",
     json_equals: ok, follow_redirects: true, max_redirects: 3, tls_verify: false,
     ca_file: /secrets/ca.pem, cert_warn_days: 30}
)");
  CHECK(http.body_regex == "ok|fine");
  REQUIRE(http.json);
  CHECK(http.json->keys == std::vector<std::string>{"data", "[0]", "status"});
  CHECK(http.json->equals == "ok");
  CHECK(http.follow_redirects);
  CHECK(http.max_redirects == 3);
  CHECK_FALSE(http.tls_verify);
  CHECK(http.ca_file == "/secrets/ca.pem");
  CHECK(http.cert_warn_days == 30);

  auto tcp = onlySpec<TcpCheckSpec>(
      "checks:\n  - {name: a, kind: tcp, host: h, port: 25, send: \"EHLO x\\r\\n\", expect: \"250\"}\n");
  CHECK(tcp.send == "EHLO x\r\n");
  CHECK(tcp.expect == "250");

  auto pg = onlySpec<PostgresCheckSpec>(
      "checks:\n  - {name: a, kind: postgres, dsn: \"host=db user=x\", password_env: PGPW, "
      "query: \"SELECT count(*) FROM t\"}\n");
  CHECK(pg.dsn == "host=db user=x");
  CHECK(pg.password.env == "PGPW");
  CHECK(pg.query == "SELECT count(*) FROM t");

  auto redis = onlySpec<RedisCheckSpec>(
      "checks:\n  - {name: a, kind: redis, port: 6380, username: u, password_file: /secrets/r, "
      "role: master}\n");
  CHECK(redis.host == "127.0.0.1");
  CHECK(redis.port == 6380);
  CHECK(redis.password.file == "/secrets/r");
  CHECK(redis.role == "master");

  auto ctr = onlySpec<ContainerCheckSpec>(
      "checks:\n  - {name: a, kind: container, container: web, unhealthy_status: degraded, "
      "max_restarts: 3}\n");
  CHECK(ctr.socket == "/var/run/docker.sock");
  CHECK(ctr.unhealthy_status == HealthStatus::Degraded);
  CHECK(ctr.starting_status == HealthStatus::Degraded);
  CHECK(ctr.max_restarts == 3u);

  auto ex = onlySpec<ExecCheckSpec>(
      "checks:\n  - {name: a, kind: exec, argv: [/usr/lib/nagios/plugins/check_load, -w, \"5\"], "
      "env: {LC_ALL: C}, working_dir: /tmp, max_output: 1024}\n");
  CHECK(ex.argv.size() == 3);
  CHECK(ex.env == std::vector<std::pair<std::string, std::string>>{{"LC_ALL", "C"}});
  CHECK(ex.max_output == 1024);

  auto disk = onlySpec<DiskCheckSpec>(
      "checks:\n  - {name: a, kind: disk, path: /var, warn_free_percent: 20, crit_free_percent: "
      "10, write_test: true, write_dir: /var/tmp}\n");
  CHECK(disk.warn_free_percent == 20);
  CHECK(disk.crit_free_percent == 10);
  CHECK(disk.write_test);

  auto log = onlySpec<LogCheckSpec>(
      "checks:\n  - {name: a, kind: log, path: /var/log/app.log, patterns: {oom: \"Out of "
      "memory\"}, warn_per_minute: {error: 5}, crit_per_minute: {oom: 1}, top: 3}\n");
  CHECK(log.levels.size() == 3);  // the defaults: error, warn, info
  CHECK(log.patterns.size() == 1);
  CHECK(log.warn_per_minute.at("error") == 5);
  CHECK(log.crit_per_minute.at("oom") == 1);

  auto unit = onlySpec<SystemdCheckSpec>("checks:\n  - {name: a, kind: systemd, unit: nginx.service}\n");
  CHECK(unit.unit == "nginx.service");

  auto hb = onlySpec<HeartbeatCheckSpec>(
      "heartbeat_listen: 127.0.0.1:9107\nchecks:\n  - {name: a, kind: heartbeat, ttl: 2m}\n");
  CHECK(hb.ttl == 2min);
}

struct Invalid {
  const char* yaml;
  const char* expected;
};

TEST_CASE("each invalid kind setting is refused with its line and path", "[agent][unit][config]") {
  const Invalid row = GENERATE(values<Invalid>({
      {"checks:\n  - name: a\n    kind: http\n    url: http://h/\n    body_regex: \"(\"\n",
       "agent.yaml:5: checks[0].body_regex: invalid regular expression"},
      {"checks:\n  - name: a\n    kind: http\n    url: http://h/\n    json_path: status\n    "
       "json_equals: ok\n",
       "agent.yaml:5: checks[0].json_path: must start with $"},
      {"checks:\n  - name: a\n    kind: http\n    url: http://h/\n    json_path: $.s\n",
       "agent.yaml:5: checks[0].json_path: needs json_equals"},
      {"checks:\n  - name: a\n    kind: http\n    url: http://h/\n    max_redirects: 3\n",
       "agent.yaml:5: checks[0].max_redirects: needs follow_redirects: true"},
      {"checks:\n  - name: a\n    kind: http\n    url: http://h/\n    tls_verify: false\n",
       "agent.yaml:5: checks[0].tls_verify: tls_verify needs an https:// url"},
      {"checks:\n  - name: a\n    kind: http\n    url: https://h/\n    ca_file: /etc/nope\n",
       "agent.yaml:5: checks[0].ca_file: cannot read \"/etc/nope\""},
      {"checks:\n  - name: a\n    kind: tcp\n    host: h\n    port: 1\n    expect: \"\"\n",
       "agent.yaml:6: checks[0].expect: must not be empty"},
      {"checks:\n  - name: a\n    kind: postgres\n",
       "agent.yaml:2: checks[0].dsn: is required for kind postgres"},
      {"checks:\n  - name: a\n    kind: postgres\n    dsn: \"host=h password=x\"\n",
       "agent.yaml:4: checks[0].dsn: must not contain a password"},
      {"checks:\n  - name: a\n    kind: postgres\n    dsn: host=h\n    password: x\n",
       "agent.yaml:5: checks[0].password: secrets are not accepted inline"},
      {"checks:\n  - name: a\n    kind: redis\n    role: primary\n",
       "agent.yaml:4: checks[0].role: must be master or slave"},
      {"checks:\n  - name: a\n    kind: redis\n    username: u\n",
       "agent.yaml:4: checks[0].username: needs password_file or password_env"},
      {"checks:\n  - name: a\n    kind: container\n",
       "agent.yaml:2: checks[0].container: is required for kind container"},
      {"checks:\n  - name: a\n    kind: container\n    container: web\n    unhealthy_status: "
       "healthy\n",
       "agent.yaml:5: checks[0].unhealthy_status: must be one of degraded, down"},
      {"checks:\n  - name: a\n    kind: exec\n    argv: []\n",
       "agent.yaml:4: checks[0].argv: must name a program"},
      {"checks:\n  - name: a\n    kind: exec\n    command: ls\n",
       "agent.yaml:2: checks[0].argv: is required for kind exec"},
      {"checks:\n  - name: a\n    kind: disk\n    path: /\n    warn_free_percent: 5\n    "
       "crit_free_percent: 10\n",
       "agent.yaml:6: checks[0].crit_free_percent: must not be above warn_free_percent"},
      {"checks:\n  - name: a\n    kind: disk\n    path: /\n    warn_free_percent: 150\n",
       "agent.yaml:5: checks[0].warn_free_percent: must be a number from 0 to 100"},
      {"checks:\n  - name: a\n    kind: log\n    path: /x\n    warn_per_minute: {fatal: 1}\n",
       "agent.yaml:5: checks[0].warn_per_minute: \"fatal\" is neither a level nor a pattern"},
      {"checks:\n  - name: a\n    kind: log\n    path: /x\n    patterns: {bad: \"[\"}\n",
       "agent.yaml:5: checks[0].patterns: bad: invalid regular expression"},
      {"checks:\n  - name: a\n    kind: systemd\n    unit: \"x; rm\"\n",
       "agent.yaml:4: checks[0].unit: must be a unit name"},
      {"checks:\n  - name: a\n    kind: heartbeat\n    ttl: 1m\n",
       "agent.yaml:1: heartbeat_listen: is required when a check has kind heartbeat"},
      {"heartbeat_listen: 0.0.0.0:9000\n",
       "agent.yaml:1: heartbeat_listen: must be 127.0.0.1:PORT"},
      {"metrics_listen: \":9100\"\n", "agent.yaml:1: metrics_listen: must be HOST:PORT"},
      {"metrics_listen: \"0.0.0.0:99999\"\n",
       "agent.yaml:1: metrics_listen: port must be between 1 and 65535"},
      {"checks:\n  - name: a\n    kind: disk\n    path: /\n    container: web\n",
       "agent.yaml:5: checks[0].container: container is not valid for kind disk"},
  }));
  auto l = load(row.yaml);
  INFO("yaml:\n" << row.yaml << "report:\n" << l.problems.format());
  CHECK_FALSE(l.config.has_value());
  CHECK_THAT(l.problems.format(), Catch::Contains(row.expected));
}

// ---- http ----

TEST_CASE("http: body regex and a JSON field condition judge the body", "[agent][unit][probe]") {
  HttpCheckSpec spec;
  spec.url = "http://h/";
  spec.body_regex = "status: (ok|fine)";
  CHECK(evaluateHttpResponse(spec, 200, "status: fine", 1ms).raw_status == HealthStatus::Healthy);
  auto o = evaluateHttpResponse(spec, 200, "status: bad", 1ms);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message == "HTTP 200 but the body does not match /status: (ok|fine)/");

  HttpCheckSpec js;
  js.url = "http://h/";
  js.json = JsonCondition{"$.checks[1].state", {"checks", "[1]", "state"}, "ok"};
  CHECK(evaluateHttpResponse(js, 200, R"({"checks":[{"state":"bad"},{"state":"ok"}]})", 1ms)
            .raw_status == HealthStatus::Healthy);
  o = evaluateHttpResponse(js, 200, R"({"checks":[{"state":"ok"},{"state":"down"}]})", 1ms);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message == "HTTP 200 but $.checks[1].state is \"down\", expected \"ok\"");
  o = evaluateHttpResponse(js, 200, R"({"checks":[]})", 1ms);
  CHECK(o.message == "HTTP 200 but $.checks[1].state is missing, expected \"ok\"");
  o = evaluateHttpResponse(js, 200, "<html>", 1ms);
  CHECK_THAT(o.message, Catch::Contains("body is not JSON"));

  HttpCheckSpec num;
  num.url = "http://h/";
  num.json = JsonCondition{"$.up", {"up"}, "true"};  // non-strings compare as JSON text
  CHECK(evaluateHttpResponse(num, 200, R"({"up":true})", 1ms).raw_status == HealthStatus::Healthy);
}

TEST_CASE("http: certificate expiry makes a check degraded, then down", "[agent][unit][probe]") {
  HttpCheckSpec spec;
  spec.url = "https://h/";
  spec.cert_warn_days = 14;
  const SystemTime now = std::chrono::system_clock::from_time_t(1'800'000'000);
  auto ok = ProbeOutcome::healthy(1ms, "HTTP 200 in 1 ms");

  auto far = applyCertExpiry(ok, spec, now + 24h * 60, now);
  CHECK(far.raw_status == HealthStatus::Healthy);
  CHECK(far.details.at("cert_days_left") == "60");

  auto soon = applyCertExpiry(ok, spec, now + 24h * 5 + 1h, now);
  CHECK(soon.raw_status == HealthStatus::Degraded);
  CHECK_THAT(soon.message, Catch::StartsWith("TLS certificate expires in 5 days"));

  auto expired = applyCertExpiry(ok, spec, now - 1h, now);
  CHECK(expired.raw_status == HealthStatus::Down);
  CHECK_THAT(expired.message, Catch::StartsWith("TLS certificate expired on "));
}

// ---- exec ----

TEST_CASE("exec: Nagios exit codes, message, perfdata and long output", "[agent][unit][probe]") {
  struct Row {
    int exit_code;
    HealthStatus status;
  };
  const Row row = GENERATE(values<Row>({{0, HealthStatus::Healthy},
                                        {1, HealthStatus::Degraded},
                                        {2, HealthStatus::Down},
                                        {3, HealthStatus::Unknown},
                                        {42, HealthStatus::Unknown}}));
  ProcessResult r;
  r.started = true;
  r.exit_code = row.exit_code;
  r.output = "DISK OK - free space: / 3326 MB | /=2643MB;5948;5958;0;5968\n/ 15272 MB (77%);\n"
             "/boot 68 MB (69%); | /boot=68MB;88;93;0;98\n";
  auto o = evaluatePluginResult(r);
  CHECK(o.raw_status == row.status);
  CHECK(o.message == "DISK OK - free space: / 3326 MB");
  CHECK(o.details.at("perfdata") == "/=2643MB;5948;5958;0;5968 /boot=68MB;88;93;0;98");
  CHECK(o.details.at("long_output") == "/ 15272 MB (77%);\n/boot 68 MB (69%);");
  CHECK(o.details.at("exit_code") == std::to_string(row.exit_code));
}

TEST_CASE("exec: a timeout, a signal and a failed start are down", "[agent][unit][probe]") {
  ProcessResult timed;
  timed.started = true;
  timed.timed_out = true;
  timed.duration = 2s;
  auto o = evaluatePluginResult(timed);
  CHECK(o.failure_kind == FailureKind::Timeout);
  CHECK(o.message == "timed out after 2s (process group killed)");

  ProcessResult killed;
  killed.started = true;
  killed.signal = 9;
  CHECK(evaluatePluginResult(killed).failure_kind == FailureKind::Crashed);

  ProcessResult missing;
  missing.start_error = "cannot run /nope: No such file or directory";
  o = evaluatePluginResult(missing);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message == missing.start_error);
}

// ---- disk ----

TEST_CASE("disk: free space and inodes against thresholds", "[agent][unit][probe]") {
  DiskCheckSpec spec;
  spec.path = "/data";
  spec.warn_free_percent = 20;
  spec.crit_free_percent = 10;
  DiskUsage u{1000ull << 20, 500ull << 20, 1000, 900};
  CHECK(evaluateDisk(spec, u, std::nullopt).raw_status == HealthStatus::Healthy);
  u.free_bytes = 150ull << 20;
  auto o = evaluateDisk(spec, u, std::nullopt);
  CHECK(o.raw_status == HealthStatus::Degraded);
  CHECK(o.message == "/data: 150.0 MiB free (15.0%) of 1000.0 MiB");
  u.free_bytes = 50ull << 20;
  CHECK(evaluateDisk(spec, u, std::nullopt).raw_status == HealthStatus::Down);
  u.free_bytes = 500ull << 20;
  u.free_inodes = 30;  // 3 % < 5 % default
  o = evaluateDisk(spec, u, std::nullopt);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK_THAT(o.message, Catch::Contains("30 inodes free (3.0%)"));
  u.free_inodes = 900;
  spec.crit_free_bytes = 600ull << 20;
  CHECK(evaluateDisk(spec, u, std::nullopt).raw_status == HealthStatus::Down);
  spec.crit_free_bytes = 0;
  o = evaluateDisk(spec, u, std::string("write test: fsync failed"));
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message == "/data: write test: fsync failed");
}

// ---- container ----

TEST_CASE("container: Docker and Podman inspect answers", "[agent][unit][probe]") {
  ContainerCheckSpec spec;
  spec.name = "web";
  struct Row {
    const char* name;
    int http;
    const char* body;
    HealthStatus status;
    const char* message;
  };
  const Row row = GENERATE(values<Row>({
      {"podman running, no health check (Health.Status \"\")", 200,
       R"({"RestartCount":0,"State":{"Status":"running","ExitCode":0,"Health":{"Status":"","FailingStreak":0,"Log":null}}})",
       HealthStatus::Healthy, "web is running"},
      {"docker running, no Health key", 200,
       R"({"RestartCount":0,"State":{"Status":"running","ExitCode":0}})", HealthStatus::Healthy,
       "web is running"},
      {"healthy", 200, R"({"State":{"Status":"running","Health":{"Status":"healthy"}}})",
       HealthStatus::Healthy, "web is running and healthy"},
      {"unhealthy", 200, R"({"State":{"Status":"running","Health":{"Status":"unhealthy","FailingStreak":2}}})",
       HealthStatus::Down, "web is running but unhealthy"},
      {"starting", 200, R"({"State":{"Status":"running","Health":{"Status":"starting"}}})",
       HealthStatus::Degraded, "web is running, health check starting"},
      {"exited", 200, R"({"RestartCount":2,"State":{"Status":"exited","ExitCode":3,"Health":{"Status":""}}})",
       HealthStatus::Down, "web exited with code 3"},
      {"paused", 200, R"({"State":{"Status":"paused"}})", HealthStatus::Degraded, "web is paused"},
      {"not found", 404,
       R"({"cause":"no such container","message":"no container with name or ID \"web\" found: no such container","response":404})",
       HealthStatus::Down, "no such container web: no container with name or ID \"web\" found: no such container"},
  }));
  INFO(row.name);
  auto o = evaluateContainerInspect(spec, row.http, row.body);
  CHECK(o.raw_status == row.status);
  CHECK(o.message == row.message);
}

TEST_CASE("container: restart count and the configured unhealthy status", "[agent][unit][probe]") {
  ContainerCheckSpec spec;
  spec.name = "web";
  spec.unhealthy_status = HealthStatus::Degraded;
  spec.max_restarts = 2;
  auto o = evaluateContainerInspect(
      spec, 200, R"({"RestartCount":5,"State":{"Status":"running","Health":{"Status":"unhealthy"}}})");
  CHECK(o.raw_status == HealthStatus::Degraded);
  CHECK(o.details.at("restart_count") == "5");
  o = evaluateContainerInspect(spec, 200, R"({"RestartCount":3,"State":{"Status":"running"}})");
  CHECK(o.raw_status == HealthStatus::Degraded);
  CHECK(o.message == "web is running; restarted 3 times (max 2)");
  o = evaluateContainerInspect(spec, 500, "oops");
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.failure_kind == FailureKind::Error);
}

// ---- redis ----

TEST_CASE("redis: RESP replies are parsed whole or not at all", "[agent][unit][probe]") {
  CHECK(respCommand({"AUTH", "u", "p w"}) == "*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$3\r\np w\r\n");
  std::size_t used = 0;
  auto r = parseRespReply("+PONG\r\n", used);
  REQUIRE(r);
  CHECK(r->type == RespReply::Type::Simple);
  CHECK(r->text == "PONG");
  CHECK(used == 7);
  r = parseRespReply("-NOAUTH Authentication required.\r\n", used);
  REQUIRE(r);
  CHECK(r->type == RespReply::Type::Error);
  CHECK_FALSE(parseRespReply("$10\r\nrole:ma", used));
  r = parseRespReply("$11\r\nrole:master\r\n", used);
  REQUIRE(r);
  CHECK(r->text == "role:master");
  CHECK(infoField("# Replication\r\nrole:slave\r\nmaster_link_status:up\r\n", "role") == "slave");
  CHECK(infoField("role:master\r\n", "master_link_status").empty());
}

// ---- systemd ----

TEST_CASE("systemd: ActiveState maps to a status", "[agent][unit][probe]") {
  CHECK(evaluateSystemdShow("a.service", "LoadState=loaded\nActiveState=active\nSubState=running\n")
            .raw_status == HealthStatus::Healthy);
  auto o = evaluateSystemdShow("a.service", "LoadState=loaded\nActiveState=failed\nSubState=failed\n");
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message == "a.service is failed (failed)");
  CHECK(evaluateSystemdShow("a.service", "ActiveState=activating\n").raw_status ==
        HealthStatus::Degraded);
  CHECK(evaluateSystemdShow("a.service", "LoadState=not-found\nActiveState=inactive\n").message ==
        "unit a.service not found");
}

// ---- heartbeat ----

TEST_CASE("heartbeat: down when no push came within the ttl", "[agent][unit][probe]") {
  HeartbeatCheckSpec spec;
  spec.ttl = 60s;
  const SteadyTime t0{};
  CHECK(evaluateHeartbeat(spec, std::nullopt, t0 + 10s, t0).raw_status == HealthStatus::Unknown);
  auto o = evaluateHeartbeat(spec, std::nullopt, t0 + 61s, t0);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message == "no push received in 61s");
  HeartbeatPush push{t0 + 30s, HealthStatus::Degraded, "queue long"};
  o = evaluateHeartbeat(spec, push, t0 + 80s, t0);
  CHECK(o.raw_status == HealthStatus::Degraded);
  CHECK(o.message == "queue long");
  o = evaluateHeartbeat(spec, push, t0 + 91s, t0);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message == "last push 61s ago (ttl 1m)");

  HeartbeatBoard board;
  CHECK_FALSE(board.push("nobody", push));
  board.expect("job");
  CHECK(board.push("job", push));
  REQUIRE(board.last("job"));
  CHECK(board.last("job")->message == "queue long");
}

TEST_CASE("heartbeat: push bodies are validated", "[agent][unit][probe]") {
  HeartbeatPush p;
  CHECK(parseHeartbeatBody("", p).empty());
  CHECK(p.status == HealthStatus::Healthy);
  CHECK(parseHeartbeatBody(R"({"status":"down","message":"backup failed"})", p).empty());
  CHECK(p.status == HealthStatus::Down);
  CHECK(p.message == "backup failed");
  CHECK(parseHeartbeatBody(R"({"status":"meh"})", p) == "status must be healthy, degraded or down");
  CHECK(parseHeartbeatBody(R"({"stats":"down"})", p) == "unknown field \"stats\"");
  CHECK(parseHeartbeatBody("not json", p) == "body must be a JSON object");
}

// ---- log ----

TEST_CASE("log: lines are counted per level and pattern, top messages normalised",
          "[agent][unit][probe]") {
  LogCheckSpec spec;
  spec.path = "/x";
  spec.levels = {{"error", R"(\b(ERROR|FATAL)\b)"}, {"warn", R"(\bWARN\b)"}, {"info", R"(\bINFO\b)"}};
  spec.patterns = {{"timeout", "timed out"}};
  spec.top = 2;
  spec.warn_per_minute = {{"error", 2}};
  spec.crit_per_minute = {{"timeout", 5}};
  LogCounter c(spec);
  c.addLine("2026-01-01 10:00:01 ERROR request 123 timed out after 30s");
  c.addLine("2026-01-01 10:00:02 ERROR request 456 timed out after 30s");
  c.addLine("2026-01-01 10:00:03 error: disk 7 full");
  c.addLine("2026-01-01 10:00:04 WARN slow");
  c.addLine("2026-01-01 10:00:05 INFO hello");
  c.addLine("");
  CHECK(c.lines() == 5);
  CHECK(c.counts().at("error") == 3);  // level regexes ignore case
  CHECK(c.counts().at("warn") == 1);
  CHECK(c.counts().at("info") == 1);
  CHECK(c.counts().at("timeout") == 2);
  auto top = c.top(2);
  REQUIRE(top.size() == 2);
  CHECK(top[0].first == "#-#-# #:#:# ERROR request # timed out after #s");
  CHECK(top[0].second == 2);

  auto o = evaluateLogCounts(spec, c, 1.0);  // 3 errors in a minute > 2/min
  CHECK(o.raw_status == HealthStatus::Degraded);
  CHECK(o.details.at("count.error") == "3");
  CHECK(o.details.at("top.1") == "2x #-#-# #:#:# ERROR request # timed out after #s");
  CHECK_THAT(o.message, Catch::Contains("error 3.0/min > 2.0/min"));
  CHECK(evaluateLogCounts(spec, c, 2.0).raw_status == HealthStatus::Healthy);  // 1.5/min
  spec.crit_per_minute = {{"timeout", 1}};
  CHECK(evaluateLogCounts(spec, c, 1.0).raw_status == HealthStatus::Down);
  c.reset();
  CHECK(c.counts().at("error") == 0);
  CHECK(c.top(5).empty());
}
