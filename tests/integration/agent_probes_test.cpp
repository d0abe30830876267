// Probe kinds against real peers: the fixture's PostgreSQL and Redis, a redis-server with a
// password this test starts, and a rootful Podman engine (tests/fixtures/podman.sh) for the
// container probe. Each probe runs the way the agent runs it: on an io_context with a worker pool.
#include <catch2/catch.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

#include "agent/probe/container_probe.hpp"
#include "agent/probe/postgres_probe.hpp"
#include "agent/probe/redis_probe.hpp"
#include "agent/runtime/asio_work_queue.hpp"
#include "common/asio/asio.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/process.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<spdlog::logger> quiet() {
  return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

struct Runner {
  boost::asio::io_context io;
  SystemClock clock;
  AsioWorkQueue queue{io, 2, "probe", quiet()};

  ProbeOutcome run(Probe& probe, std::chrono::milliseconds timeout = 5s) {
    std::optional<ProbeOutcome> out;
    io.restart();
    auto guard = boost::asio::make_work_guard(io);
    probe.run(timeout, [&](ProbeOutcome o) {
      out = std::move(o);
      guard.reset();
    });
    io.run_for(20s);
    REQUIRE(out.has_value());
    return *out;
  }
};

}  // namespace

TEST_CASE("postgres probe: SELECT 1, a read-only query, and the server's refusal",
          "[agent][integration][probes]") {
  const auto fx = test::Fixture::load();
  Runner r;
  const std::string dsn = "host=127.0.0.1 port=" + std::to_string(fx.pg_port) + " user=postgres dbname=vitals";

  PostgresCheckSpec ok;
  ok.dsn = dsn;
  auto o = r.run(*makePostgresProbe(ok, r.clock, r.queue));
  CHECK(o.raw_status == HealthStatus::Healthy);
  CHECK_THAT(o.message, Catch::StartsWith("SELECT 1 in "));
  CHECK(o.details["value"] == "1");

  PostgresCheckSpec query = ok;
  query.query = "SELECT count(*) FROM pg_database WHERE datname = 'vitals'";
  o = r.run(*makePostgresProbe(query, r.clock, r.queue));
  CHECK(o.raw_status == HealthStatus::Healthy);
  CHECK(o.details["value"] == "1");

  // The query runs in a READ ONLY transaction: a write is refused by the server.
  PostgresCheckSpec write = ok;
  write.query = "CREATE TABLE vitals_probe_must_not_exist (x int)";
  o = r.run(*makePostgresProbe(write, r.clock, r.queue));
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK_THAT(o.message, Catch::Contains("read-only transaction"));

  PostgresCheckSpec nobody = ok;
  nobody.dsn = "host=127.0.0.1 port=" + std::to_string(fx.pg_port) + " user=nobody_here dbname=vitals";
  o = r.run(*makePostgresProbe(nobody, r.clock, r.queue));
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK_THAT(o.message, Catch::Contains("role \"nobody_here\" does not exist"));

  PostgresCheckSpec closed = ok;
  closed.dsn = "host=127.0.0.1 port=" + std::to_string(test::freeTcpPort()) + " user=postgres";
  o = r.run(*makePostgresProbe(closed, r.clock, r.queue));
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.failure_kind == FailureKind::Refused);
}

TEST_CASE("redis probe: PING, role, and AUTH with a password file and an ACL user",
          "[agent][integration][probes]") {
  const auto fx = test::Fixture::load();
  Runner r;
  RedisCheckSpec plain;
  plain.port = static_cast<std::uint16_t>(fx.redis_port);
  plain.role = "master";
  auto o = r.run(*makeRedisProbe(plain, r.clock, r.queue));
  CHECK(o.raw_status == HealthStatus::Healthy);
  CHECK_THAT(o.message, Catch::StartsWith("PONG in "));
  CHECK(o.details["role"] == "master");

  plain.role = "slave";
  o = r.run(*makeRedisProbe(plain, r.clock, r.queue));
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message == "role is master, expected slave");

  // A redis-server of our own with a password and an ACL user.
  const std::string dir = fx.workDir("redis-auth");
  const int port = test::freeTcpPort();
  test::writeFile(dir + "/password", "s3cret\n");
  test::writeFile(dir + "/user-password", "pw2\n");
  REQUIRE(test::shell("redis-server --bind 127.0.0.1 --port " + std::to_string(port) +
             " --save '' --appendonly no --daemonize yes --requirepass s3cret"
             " --pidfile " + dir + "/redis.pid --dir " + dir + " --logfile " + dir + "/redis.log") == 0);
  struct Stop {
    std::string dir;
    ~Stop() { std::system(("kill $(cat " + dir + "/redis.pid) 2>/dev/null").c_str()); }
  } stop{dir};
  RedisCheckSpec secured;
  secured.port = static_cast<std::uint16_t>(port);
  REQUIRE(test::waitUntil(
      [&] { return r.run(*makeRedisProbe(secured, r.clock, r.queue)).failure_kind != FailureKind::Refused; },
      5s));
  o = r.run(*makeRedisProbe(secured, r.clock, r.queue));
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK_THAT(o.message, Catch::StartsWith("PING: NOAUTH"));

  secured.password.file = dir + "/password";
  o = r.run(*makeRedisProbe(secured, r.clock, r.queue));
  CHECK(o.raw_status == HealthStatus::Healthy);

  test::writeFile(dir + "/wrong", "nope\n");
  secured.password.file = dir + "/wrong";
  o = r.run(*makeRedisProbe(secured, r.clock, r.queue));
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK_THAT(o.message, Catch::StartsWith("AUTH failed: "));

  REQUIRE(test::shell("redis-cli -p " + std::to_string(port) +
             " -a s3cret --no-auth-warning ACL SETUSER probe on '>pw2' '+ping' '+info'") == 0);
  secured.username = "probe";
  secured.password.file = dir + "/user-password";
  secured.role = "master";
  o = r.run(*makeRedisProbe(secured, r.clock, r.queue));
  CHECK(o.raw_status == HealthStatus::Healthy);
  CHECK(o.details["role"] == "master");
}

TEST_CASE("container probe against rootful Podman: running, healthy, unhealthy, exited, missing",
          "[agent][integration][probes]") {
  const auto fx = test::Fixture::load();
  const std::string prefix = fx.run_dir + "/podman";
  const std::string script = std::string(VITALS_SOURCE_DIR) + "/tests/fixtures/podman.sh";
  std::string setup_log;
  const int rc = test::shell(script + " start " + prefix, &setup_log);
  struct Teardown {
    std::string cmd;
    ~Teardown() { std::system((cmd + " >/dev/null 2>&1").c_str()); }
  } teardown{script + " stop " + prefix};
  INFO("podman.sh output:\n" << setup_log);
  // No silent pass: an engine that cannot start fails this test with the script's output.
  REQUIRE(rc == 0);

  const std::string env = "CONTAINERS_CONF=" + prefix + "/cfg/containers.conf CONTAINERS_STORAGE_CONF=" +
                          prefix + "/cfg/storage.conf ";
  auto podman = [&](const std::string& args) {
    std::string out;
    const int code = test::shell(env + "podman " + args, &out);
    INFO("podman " << args << "\n" << out);
    return code;
  };
  REQUIRE(podman("run -d --name sleeper --network none --init localhost/bbox sleep 3600") == 0);
  REQUIRE(podman("run -d --name failer --network none localhost/bbox sh -c 'exit 3'") == 0);
  REQUIRE(podman("run -d --name web --network none --init --health-cmd 'test -f /tmp/ok' "
                 "--health-retries 1 localhost/bbox sh -c 'touch /tmp/ok; exec sleep 3600'") == 0);

  Runner r;
  auto probe = [&](const std::string& name, HealthStatus unhealthy = HealthStatus::Down) {
    ContainerCheckSpec spec;
    spec.name = name;
    spec.socket = prefix + "/podman.sock";
    spec.unhealthy_status = unhealthy;
    return r.run(*makeContainerProbe(spec, r.clock, r.queue));
  };

  auto o = probe("sleeper");
  CHECK(o.raw_status == HealthStatus::Healthy);
  CHECK(o.message == "sleeper is running");  // Podman's Health{Status:""} means "no check"
  CHECK(o.details["health"] == "none");
  CHECK(o.details["restart_count"] == "0");

  REQUIRE(test::waitUntil([&] { return probe("failer").details["state"] == "exited"; }, 5s));
  o = probe("failer");
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message == "failer exited with code 3");
  CHECK(o.details["exit_code"] == "3");

  // No systemd timers here: health checks run when asked (containers.md).
  o = probe("web");
  CHECK(o.raw_status == HealthStatus::Degraded);
  CHECK(o.details["health"] == "starting");
  REQUIRE(podman("healthcheck run web") == 0);
  o = probe("web");
  CHECK(o.raw_status == HealthStatus::Healthy);
  CHECK(o.message == "web is running and healthy");
  REQUIRE(podman("exec web rm /tmp/ok") == 0);
  CHECK(podman("healthcheck run web") != 0);
  o = probe("web");
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message == "web is running but unhealthy");
  CHECK(probe("web", HealthStatus::Degraded).raw_status == HealthStatus::Degraded);

  o = probe("nosuch");
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK_THAT(o.message, Catch::StartsWith("no such container nosuch"));

  ContainerCheckSpec wrong_socket;
  wrong_socket.name = "web";
  wrong_socket.socket = prefix + "/missing.sock";
  o = r.run(*makeContainerProbe(wrong_socket, r.clock, r.queue));
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK_THAT(o.message, Catch::StartsWith("container engine at " + prefix + "/missing.sock"));
}
