#include <catch2/catch.hpp>

#include "hub/config/hub_config.hpp"

using namespace vitals;
using namespace vitals::hub;

namespace {

ConfigSources fakeSources(std::map<std::string, std::string> env = {},
                          std::map<std::string, std::string> files = {}) {
  ConfigSources s;
  s.env = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  s.read_file = [files](const std::string& path) -> Result<std::string> {
    auto it = files.find(path);
    if (it == files.end()) {
      return Error{"io", "no such file or not readable", path};
    }
    return it->second;
  };
  return s;
}

struct Parsed {
  std::optional<HubConfig> config;
  std::string problems;
};

Parsed parse(const std::string& yaml, const ConfigSources& sources = fakeSources()) {
  config::Problems problems;
  Parsed p;
  p.config = parseHubConfig(yaml, "hub.yaml", sources, problems);
  p.problems = problems.format();
  return p;
}

}  // namespace

TEST_CASE("an empty hub config gives the documented defaults", "[hub][unit][config]") {
  auto p = parse("");
  REQUIRE(p.config);
  CHECK(p.problems.empty());
  const auto& c = *p.config;
  CHECK(c.hub_id == "hub-main");
  CHECK(c.nats.url == "nats://127.0.0.1:4222");
  CHECK(c.database.url == "host=127.0.0.1 port=5432 dbname=vitals user=vitals");
  CHECK(c.database.pool_size == 4);
  CHECK(c.http.host == "127.0.0.1");
  CHECK(c.http.port == 8080);
  CHECK(c.http.websocket_port == -1);  // off unless configured
  CHECK(c.ingest.stream == "VITALS");
  CHECK(c.ingest.durable == "vitals-hub");
  CHECK(c.ingest.batch_size == 500);
  CHECK(c.ingest.fetch_timeout == std::chrono::milliseconds{500});
  CHECK(c.ingest.max_delay == std::chrono::milliseconds{2});
  CHECK(c.ingest.ack_wait == std::chrono::seconds{30});
  CHECK(c.ingest.stream_max_age == std::chrono::hours{24 * 7});
  CHECK(c.ingest.stream_max_bytes == (1LL << 30));
  CHECK(c.retention_days == 30);
  CHECK(c.log.level == "info");
}

TEST_CASE("a full hub config is read into the immutable value", "[hub][unit][config]") {
  auto p = parse(
      "hub_id: hub-2\n"
      "nats: {url: \"nats://10.0.0.1:4222,nats://10.0.0.2:4222\", user: hub, password_file: /s/n}\n"
      "database:\n"
      "  url: postgres://vitals@db:5432/vitals\n"
      "  password_file: /s/db\n"
      "  pool_size: 8\n"
      "http: {listen: \"[::1]:9090\", websocket_listen: \"[::1]:9091\"}\n"
      "ingest:\n"
      "  batch_size: 1000\n"
      "  fetch_timeout: 250ms\n"
      "  max_delay: 5ms\n"
      "  ack_wait: 1m\n"
      "  stream_max_age: 3d\n"
      "  stream_max_bytes: 512MiB\n"
      "retention_days: 7\n"
      "log: {level: debug, format: json}\n",
      fakeSources({}, {{"/s/n", "natspw\n"}, {"/s/db", "dbpw\n"}}));
  INFO(p.problems);
  REQUIRE(p.config);
  const auto& c = *p.config;
  CHECK(c.hub_id == "hub-2");
  CHECK(c.nats.user == "hub");
  CHECK(c.nats.password == "natspw");
  CHECK(c.database.password == "dbpw");
  CHECK(c.database.pool_size == 8);
  CHECK(c.http.host == "::1");
  CHECK(c.http.websocket_host == "::1");
  CHECK(c.http.websocket_port == 9091);
  CHECK(c.http.port == 9090);
  CHECK(c.ingest.batch_size == 1000);
  CHECK(c.ingest.fetch_timeout == std::chrono::milliseconds{250});
  CHECK(c.ingest.max_delay == std::chrono::milliseconds{5});
  CHECK(c.ingest.ack_wait == std::chrono::minutes{1});
  CHECK(c.ingest.stream_max_age == std::chrono::hours{72});
  CHECK(c.ingest.stream_max_bytes == 512LL * 1024 * 1024);
  CHECK(c.retention_days == 7);
  CHECK(c.log.format == log::Format::Json);
}

TEST_CASE("the database password comes from VITALS_DB_PASSWORD when no file is named",
          "[hub][unit][config]") {
  auto p = parse("database: {url: \"host=db dbname=v\"}\n",
                 fakeSources({{"VITALS_DB_PASSWORD", "s3cret"}}));
  REQUIRE(p.config);
  CHECK(p.config->database.password == "s3cret");
}

TEST_CASE("each invalid hub config is reported with file, line, path and reason",
          "[hub][unit][config]") {
  struct Case {
    const char* yaml;
    const char* expected;
  };
  const auto c = GENERATE(values<Case>({
      {"hub_id: \"bad id\"\n",
       "hub.yaml:1: hub_id: must be 1-128 characters of A-Z a-z 0-9 _ -, got \"bad id\""},
      {"bogus: 1\n", "hub.yaml:1: bogus: unknown key"},
      {"nats:\n  url: http://x\n", "hub.yaml:2: nats.url: must be nats://host:port"},
      {"nats:\n  urls: nats://x\n", "hub.yaml:2: nats.urls: unknown key"},
      {"nats:\n  credentials_file: /nope\n",
       "hub.yaml:2: nats.credentials_file: cannot read \"/nope\": no such file or not readable"},
      {"database:\n  url: \"host=a port\"\n",
       "hub.yaml:2: database.url: invalid libpq connection string"},
      {"database:\n  url: \"host=a password=x\"\n",
       "hub.yaml:2: database.url: must not contain a password"},
      {"database:\n  password_file: /nope\n",
       "hub.yaml:2: database.password_file: cannot read \"/nope\""},
      {"database:\n  pool_size: 0\n",
       "hub.yaml:2: database.pool_size: must be between 1 and 64, got 0"},
      {"http:\n  listen: \"127.0.0.1:notaport\"\n",
       "hub.yaml:2: http.listen: must be host:port with a port of 0-65535, got "
       "\"127.0.0.1:notaport\""},
      {"http:\n  listen: \"127.0.0.1:70000\"\n", "hub.yaml:2: http.listen: must be host:port"},
      {"http:\n  listen: \"8080\"\n", "hub.yaml:2: http.listen: must be host:port"},
      {"http:\n  websocket_listen: \"ws\"\n",
       "hub.yaml:2: http.websocket_listen: must be host:port with a port of 0-65535, got \"ws\""},
      {"http:\n  listen: \"127.0.0.1:9000\"\n  websocket_listen: \"127.0.0.1:9000\"\n",
       "hub.yaml:3: http.websocket_listen: must be another port than listen (9000)"},
      {"ingest:\n  stream: \"a.b\"\n", "hub.yaml:2: ingest.stream: must be 1-128 characters"},
      {"ingest:\n  durable: \"\"\n", "hub.yaml:2: ingest.durable: must be 1-128 characters"},
      {"ingest:\n  batch_size: 0\n", "hub.yaml:2: ingest.batch_size: must be between 1 and 10000"},
      {"ingest:\n  batch_size: many\n",
       "hub.yaml:2: ingest.batch_size: must be an integer, got \"many\""},
      {"ingest:\n  fetch_timeout: 500\n",
       "hub.yaml:2: ingest.fetch_timeout: must be a duration such as 500ms, 30s, 5m, 1h, got "
       "\"500\""},
      {"ingest:\n  ack_wait: 100ms\n", "hub.yaml:2: ingest.ack_wait: must be between 1s and 1h"},
      {"ingest:\n  fetch_timeout: 20s\n  ack_wait: 10s\n",
       "hub.yaml:2: ingest.fetch_timeout: must be shorter than ingest.ack_wait"},
      {"ingest:\n  max_delay: 2s\n", "hub.yaml:2: ingest.max_delay: must be between"},
      {"ingest:\n  max_delay: soon\n",
       "hub.yaml:2: ingest.max_delay: must be a duration such as 500ms"},
      {"ingest:\n  fetch_timeout: 100ms\n  max_delay: 200ms\n",
       "hub.yaml:3: ingest.max_delay: must not be longer than ingest.fetch_timeout (100ms)"},
      {"ingest:\n  stream_max_bytes: 1XB\n",
       "hub.yaml:2: ingest.stream_max_bytes: must be a size of at least 1MiB"},
      {"ingest:\n  stream_max_bytes: 1000\n",
       "hub.yaml:2: ingest.stream_max_bytes: must be a size of at least 1MiB"},
      {"retention_days: -3\n", "hub.yaml:1: retention_days: must be between 1 and 3650, got -3"},
      {"log:\n  level: loud\n", "hub.yaml:2: log.level: must be one of trace, debug, info"},
      {"log:\n  format: xml\n", "hub.yaml:2: log.format: must be auto, text or json, got \"xml\""},
      {"nats: 5\n", "hub.yaml:1: nats: must be a mapping"},
      {"a: [\n", "hub.yaml:2: invalid YAML"},
  }));
  auto p = parse(c.yaml);
  INFO(c.yaml);
  CHECK_FALSE(p.config);
  CHECK_THAT(p.problems, Catch::Contains(c.expected));
}

TEST_CASE("every problem of a hub config is listed, not just the first", "[hub][unit][config]") {
  auto p =
      parse("hub_id: ok\nhttp:\n  listen: \"127.0.0.1:notaport\"\nretention_days: -3\nbogus: 1\n");
  CHECK_FALSE(p.config);
  CHECK_THAT(p.problems, Catch::Contains("hub.yaml:3: http.listen"));
  CHECK_THAT(p.problems, Catch::Contains("hub.yaml:4: retention_days"));
  CHECK_THAT(p.problems, Catch::Contains("hub.yaml:5: bogus: unknown key"));
}

TEST_CASE("listen addresses and byte sizes parse as documented", "[hub][unit][config]") {
  std::string host;
  int port = -1;
  CHECK(parseListen("0.0.0.0:0", host, port));
  CHECK(host == "0.0.0.0");
  CHECK(port == 0);
  CHECK(parseListen("[::]:443", host, port));
  CHECK(host == "::");
  CHECK(port == 443);
  CHECK_FALSE(parseListen("::1:80", host, port));
  CHECK_FALSE(parseListen(":80", host, port));
  CHECK_FALSE(parseListen("host:", host, port));

  CHECK(parseByteSize("1048576") == 1048576);
  CHECK(parseByteSize("2GB") == 2'000'000'000);
  CHECK(parseByteSize("1GiB") == (1LL << 30));
  CHECK(parseByteSize("10 MiB") == 10LL * 1024 * 1024);
  CHECK(parseByteSize("unlimited") == -1);
  CHECK_FALSE(parseByteSize("GB"));
  CHECK_FALSE(parseByteSize("5PB"));
}

TEST_CASE("service rules, staleness and uptime settings are read and validated",
          "[hub][unit][config]") {
  auto p = parse(
      "services:\n"
      "  checkout:\n    rule: quorum\n    quorum: 2\n    depends_on: [postgres]\n"
      "  cdn:\n    rule: any\n"
      "staleness:\n  missed_heartbeats: 5\n  sweep_interval: 1s\n  fallback_interval: 1m\n"
      "  clock_skew_threshold: 10s\n"
      "uptime:\n  degraded_weight: 0.25\n"
      "uptime_retention_days: 90\n");
  INFO(p.problems);
  REQUIRE(p.config);
  const auto& c = *p.config;
  REQUIRE(c.services.size() == 2);
  CHECK(c.services.at("checkout").kind == policy::RuleKind::Quorum);
  CHECK(c.services.at("checkout").quorum == 2);
  CHECK(c.services.at("checkout").depends_on == std::vector<std::string>{"postgres"});
  CHECK(c.services.at("cdn").kind == policy::RuleKind::Any);
  CHECK(c.staleness.liveness.missed_heartbeats == 5);
  CHECK(c.staleness.sweep_interval == std::chrono::seconds{1});
  CHECK(c.staleness.liveness.fallback_interval == std::chrono::minutes{1});
  CHECK(c.staleness.liveness.skew_threshold == std::chrono::seconds{10});
  CHECK(c.uptime.degraded_weight == 0.25);
  CHECK(c.uptime_retention_days == 90);

  auto defaults = parse("");
  REQUIRE(defaults.config);
  CHECK(defaults.config->staleness.liveness.missed_heartbeats == 3);
  CHECK(defaults.config->staleness.liveness.skew_threshold == std::chrono::seconds{30});
  CHECK(defaults.config->uptime.degraded_weight == 0.5);
  CHECK(defaults.config->uptime_retention_days == 400);
}

TEST_CASE("bad service rules and uptime settings are reported with their paths",
          "[hub][unit][config]") {
  auto p = parse(
      "services:\n"
      "  a:\n    rule: majority\n"
      "  b:\n    rule: quorum\n"
      "  c:\n    rule: any\n    quorum: 2\n    colour: red\n"
      "  d:\n    depends_on: [d]\n"
      "uptime:\n  degraded_weight: 1.5\n"
      "staleness:\n  missed_heartbeats: 0\n");
  CHECK_FALSE(p.config);
  CHECK_THAT(p.problems, Catch::Contains("services.a.rule: must be worst, any, all or quorum"));
  CHECK_THAT(p.problems, Catch::Contains("services.b.quorum: is required with rule: quorum"));
  CHECK_THAT(p.problems, Catch::Contains("services.c.quorum: is only used with rule: quorum"));
  CHECK_THAT(p.problems, Catch::Contains("services.c.colour: unknown key"));
  CHECK_THAT(p.problems, Catch::Contains("services.d.depends_on: a service cannot depend on"));
  CHECK_THAT(p.problems, Catch::Contains("uptime.degraded_weight: must be a number from 0 to 1"));
  CHECK_THAT(p.problems, Catch::Contains("staleness.missed_heartbeats"));
}

TEST_CASE("the alerts section and log-rate thresholds are read, and bad values are named",
          "[hub][unit][config]") {
  auto p = parse(
      "notify:\n  channels:\n    ops: {type: webhook, url: \"http://127.0.0.1:9/h\", "
      "secret_file: /s}\n"
      "alerts:\n  default_channels: [ops]\n  escalation_delay: 10m\n  suppression_window: 2h\n"
      "  min_severity: down\n  max_notify_age: 1m\n  recovery_notice: false\n"
      "services:\n  api:\n    log_errors_per_minute: 12.5\n",
      fakeSources({}, {{"/s", "secret"}}));
  INFO(p.problems);
  REQUIRE(p.config);
  CHECK(p.config->alerts.default_channels == std::vector<std::string>{"ops"});
  CHECK(p.config->alerts.escalation_delay_seconds == 600);
  CHECK(p.config->alerts.suppression_window_seconds == 7200);
  CHECK(p.config->alerts.min_severity == "down");
  CHECK(p.config->alerts.max_notify_age == std::chrono::minutes{1});
  CHECK_FALSE(p.config->alerts.recovery_notice);
  CHECK(p.config->services.at("api").log_errors_per_minute == Approx(12.5));
  CHECK(parse("").config->alerts.max_notify_age == std::chrono::minutes{5});

  auto bad = parse(
      "alerts:\n  default_channels: [nope]\n  min_severity: loud\n"
      "services:\n  api:\n    log_errors_per_minute: lots\n");
  CHECK_FALSE(bad.config);
  CHECK_THAT(bad.problems, Catch::Contains("hub.yaml:2: alerts.default_channels: \"nope\" is "
                                           "not a channel under notify.channels"));
  CHECK_THAT(bad.problems, Catch::Contains("hub.yaml:3: alerts.min_severity"));
  CHECK_THAT(bad.problems, Catch::Contains("services.api.log_errors_per_minute: must be a "
                                           "positive number"));
}

TEST_CASE("log statistics settings and warnings thresholds are read, and bad values are named",
          "[hub][unit][config]") {
  auto p = parse(
      "log_stats:\n  interval: 30s\n  retention_days: 14\n  backfill: 6h\n  top_messages: 5\n"
      "  threshold_refresh: 2s\n  enabled: false\n"
      "services:\n  api:\n    log_warnings_per_minute: 40\n");
  INFO(p.problems);
  REQUIRE(p.config);
  const auto& l = p.config->log_stats;
  CHECK_FALSE(l.enabled);
  CHECK(l.interval == std::chrono::seconds{30});
  CHECK(l.retention_days == 14);
  CHECK(l.backfill == std::chrono::hours{6});
  CHECK(l.top_messages == 5);
  CHECK(l.threshold_refresh == std::chrono::seconds{2});
  CHECK(p.config->services.at("api").log_warnings_per_minute == Approx(40));
  CHECK(parse("").config->log_stats.retention_days == 90);

  auto bad = parse(
      "log_stats:\n  retention_days: 0\n  top_messages: 5000\n  speed: fast\n"
      "services:\n  api:\n    log_warnings_per_minute: -1\n");
  CHECK_FALSE(bad.config);
  CHECK_THAT(bad.problems, Catch::Contains("hub.yaml:2: log_stats.retention_days"));
  CHECK_THAT(bad.problems, Catch::Contains("hub.yaml:3: log_stats.top_messages"));
  CHECK_THAT(bad.problems, Catch::Contains("log_stats.speed"));
  CHECK_THAT(bad.problems, Catch::Contains("services.api.log_warnings_per_minute: must be a "
                                           "positive number of warnings per minute"));
}

TEST_CASE("bad federation and replica settings are named with file and line",
          "[hub][unit][config]") {
  auto good = parse("federation:\n  enabled: true\n  summary_interval: 2s\n");
  INFO(good.problems);
  REQUIRE(good.config);
  CHECK(good.config->federation.stale_after == std::chrono::seconds{6});
  CHECK(good.config->replica.id == good.config->hub_id);  // defaults to the hub id
  CHECK(good.config->replica.group == good.config->hub_id);

  auto bad = parse(
      "federation:\n  enabled: true\n  summary_interval: 10ms\n  alert_on: [bad.id]\n"
      "replica:\n  id: \"r 1\"\n  lease_interval: 5m\n");
  CHECK_FALSE(bad.config);
  CHECK_THAT(bad.problems, Catch::Contains("hub.yaml:3: federation.summary_interval"));
  CHECK_THAT(bad.problems, Catch::Contains("hub.yaml:4: federation.alert_on: \"bad.id\" is not "
                                           "a hub id"));
  CHECK_THAT(bad.problems, Catch::Contains("hub.yaml:6: replica.id"));
  CHECK_THAT(bad.problems, Catch::Contains("hub.yaml:7: replica.lease_interval"));
}

TEST_CASE(
    "the enrollment section needs an absolute users file and an identity for the hub, and "
    "takes the reload command as an argv",
    "[hub][unit][config]") {
  const std::string key = "U" + std::string(55, 'A');
  auto ok = parse("nats:\n  nkey: " + key +
                      "\n  nkey_seed_file: /etc/vitals/hub.nk\n"
                      "enrollment:\n  nats_users_file: /etc/nats/vitals-users.conf\n"
                      "  nats_reload_command: [nats-server, --signal, \"reload=/run/nats.pid\"]\n"
                      "  agent_nats_url: tls://nats.example:4222\n  token_max_ttl: 2d\n",
                  fakeSources({}, {{"/etc/vitals/hub.nk", "SUxx"}}));
  INFO(ok.problems);
  REQUIRE(ok.config);
  const auto& e = ok.config->enrollment;
  CHECK(e.enabled);
  CHECK(e.nats_users_file == "/etc/nats/vitals-users.conf");
  CHECK(e.nats_reload_command ==
        std::vector<std::string>{"nats-server", "--signal", "reload=/run/nats.pid"});
  CHECK(e.hub_nkey == key);  // from nats.nkey
  CHECK(e.agent_nats_url == "tls://nats.example:4222");
  CHECK(e.token_max_ttl == std::chrono::hours{48});
  CHECK_FALSE(parse("").config->enrollment.enabled);

  auto no_file = parse("enrollment:\n  hub_nkey: " + key + "\n");
  CHECK(no_file.problems.find("hub.yaml:2: enrollment.nats_users_file: is required") !=
        std::string::npos);
  auto relative = parse("enrollment:\n  nats_users_file: users.conf\n  hub_nkey: " + key + "\n");
  CHECK(relative.problems.find("must be an absolute path") != std::string::npos);
  auto locked_out = parse("enrollment:\n  nats_users_file: /etc/nats/u.conf\n");
  CHECK(locked_out.problems.find("no identity for the hub itself") != std::string::npos);
  auto bad_argv = parse("enrollment:\n  nats_users_file: /etc/nats/u.conf\n  hub_nkey: " + key +
                        "\n  nats_reload_command: []\n");
  CHECK(bad_argv.problems.find("nats_reload_command: must be an argv list") != std::string::npos);
  auto bad_key = parse("enrollment:\n  nats_users_file: /etc/nats/u.conf\n  hub_nkey: SUxyz\n");
  CHECK(bad_key.problems.find("enrollment.hub_nkey") != std::string::npos);
}

TEST_CASE("agents.restart_grace and agents.forget_after are read, defaulted and checked",
          "[hub][unit][config]") {
  auto defaults = parse("");
  REQUIRE(defaults.config);
  CHECK(defaults.config->agents.restart_grace == std::chrono::minutes{2});
  CHECK(defaults.config->agents.forget_after == std::chrono::hours{24 * 7});

  auto set = parse(
      "agents: {restart_grace: 30s, forget_after: 0s}\n"
      "notify:\n"
      "  channels:\n"
      "    ops: {type: webhook, url: \"http://127.0.0.1:9/h\", secret_file: /s/k, "
      "stop_notices: false}\n"
      "    dev: {type: webhook, url: \"http://127.0.0.1:9/d\", secret_file: /s/k}\n",
      fakeSources({}, {{"/s/k", "0123456789abcdef0123456789abcdef\n"}}));
  INFO(set.problems);
  REQUIRE(set.config);
  CHECK(set.config->agents.restart_grace == std::chrono::seconds{30});
  CHECK(set.config->agents.forget_after.count() == 0);  // never
  CHECK_FALSE(set.config->notify.channels.at("ops").stop_notices);
  CHECK(set.config->notify.channels.at("dev").stop_notices);

  auto shorter = parse("agents:\n  restart_grace: 10m\n  forget_after: 5m\n");
  CHECK_FALSE(shorter.config);
  CHECK_THAT(shorter.problems, Catch::Contains("hub.yaml:3"));
  CHECK_THAT(shorter.problems, Catch::Contains("forget_after"));
  CHECK_THAT(shorter.problems, Catch::Contains("longer than restart_grace"));

  auto unknown = parse("agents: {forget: 1d}\n");
  CHECK_FALSE(unknown.config);
  CHECK_THAT(unknown.problems, Catch::Contains("forget"));
}
