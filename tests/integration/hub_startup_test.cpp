// Start-up paths of the binaries: config validation, schema version guard, --version.
#include <signal.h>

#include <catch2/catch.hpp>

#include "tests/support/pg_query.hpp"
#include "tests/support/stack.hpp"

using namespace vitals::test;
using namespace std::chrono_literals;

namespace {
struct Run {
  int code;
  std::string output;
};
Run runTool(const Fixture& fx, const std::string& dir, std::vector<std::string> argv) {
  const std::string log = dir + "/run-" + std::to_string(freeTcpPort()) + ".log";
  ChildProcess p(std::move(argv), log, fx.run_dir + "/pids");
  const int code = p.waitExit(30000);
  return Run{code, p.log()};
}
}  // namespace

TEST_CASE("config check lists every problem with file and line and exits non-zero",
          "[integration][config]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("checkconfig");
  const std::string hub_bad = dir + "/hub-bad.yaml";
  writeFile(hub_bad, "hub_id: ok\nhttp:\n  listen: \"127.0.0.1:notaport\"\nretention_days: -3\nbogus: 1\n");
  auto hub = runTool(fx, dir, {fx.bin_dir + "/vitals-hub", "--check-config", "--config", hub_bad});
  INFO(hub.output);
  CHECK(hub.code != 0);
  CHECK_THAT(hub.output, Catch::Contains(hub_bad + ":3"));
  CHECK_THAT(hub.output, Catch::Contains(hub_bad + ":4"));
  CHECK_THAT(hub.output, Catch::Contains(hub_bad + ":5: bogus: unknown key"));

  const std::string agent_bad = dir + "/agent-bad.yaml";
  writeFile(agent_bad,
            "agent_id: a1\nchecks:\n  - name: web\n    kind: http\n    interval: 30\n"
            "    url: http://127.0.0.1:1/\n  - name: db\n    kind: tcp\n    host: 127.0.0.1\n"
            "    port: 70000\n    url: http://x/\n");
  auto agent =
      runTool(fx, dir, {fx.bin_dir + "/vitals-agent", "--check-config", "--config", agent_bad});
  INFO(agent.output);
  CHECK(agent.code != 0);
  CHECK_THAT(agent.output, Catch::Contains(agent_bad + ":5: checks[0].interval"));
  CHECK_THAT(agent.output, Catch::Contains(agent_bad + ":10: checks[1].port"));
  CHECK_THAT(agent.output, Catch::Contains(agent_bad + ":11: checks[1].url"));

  const std::string agent_good = dir + "/agent-good.yaml";
  writeFile(agent_good, "agent_id: a1\nchecks:\n  - name: db\n    kind: tcp\n    host: 127.0.0.1\n"
                        "    port: 5432\n");
  auto ok = runTool(fx, dir, {fx.bin_dir + "/vitals-agent", "--check-config", "--config", agent_good});
  INFO(ok.output);
  CHECK(ok.code == 0);
}

TEST_CASE("every binary answers --version and refuses unknown flags with exit code 2",
          "[integration][cli]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("cli");
  for (const std::string bin : {"vitals-hub", "vitals-agent", "vitalsctl"}) {
    auto v = runTool(fx, dir, {fx.bin_dir + "/" + bin, "--version"});
    CHECK(v.code == 0);
    CHECK_THAT(v.output, Catch::Contains(bin));
    auto bad = runTool(fx, dir, {fx.bin_dir + "/" + bin, "--no-such-flag"});
    CHECK(bad.code == 2);
  }
}

TEST_CASE("the hub migrates an empty database and refuses one newer than it knows",
          "[integration][schema]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("schema");
  HubOptions ho;
  ho.db_conninfo = fx.freshDatabase("schema");
  ho.http_port = freeTcpPort();
  {
    HubProcess hub(fx, dir, ho);
    if (!hub.waitReady(20s)) {
      FAIL("hub did not become ready:\n" << hub.log());
    }
    CHECK(count(ho.db_conninfo, "SELECT count(*) FROM schema_migrations") >= 1);
    CHECK(count(ho.db_conninfo,
                "SELECT count(*) FROM pg_class WHERE relname = 'health_checks' AND relkind = 'p'") == 1);
    hub.process().stop(SIGTERM);
  }
  query(ho.db_conninfo,
        "INSERT INTO schema_migrations (version, name) VALUES (9999, 'from_the_future')");
  HubProcess hub(fx, dir, ho);
  const int code = hub.process().waitExit(20000);
  INFO(hub.log());
  CHECK(code != 0);
  CHECK(code != -1);
  CHECK_THAT(hub.log(), Catch::Contains("9999"));
}
