// Named repair actions and the other commands against a real vitals-agent, driven over NATS
// request/reply exactly as the hub does (vitals.cmd.<agent>.<verb>, CommandRequest/CommandReply):
// an action that appends a line runs once per request id, dry_run and refused requests run
// nothing, a timeout kills the process, recheck returns a fresh result, logs returns the last
// lines, and a restart action restarts a real supervised process (no systemd here: a small bash
// supervisor, as in shared/notes/containers.md).
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "common/model/codec.hpp"
#include "common/nats/nats_client.hpp"
#include "common/nats/subjects.hpp"
#include "tests/support/stack.hpp"
#include "vitals/v1/command.pb.h"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

namespace pb = vitals::v1;

// Restarts its child whenever it exits; SIGHUP restarts it, SIGTERM stops both.
const char* const kSupervisor = R"(#!/bin/bash
name=$1; shift; dir=$SVC_DIR
echo $$ > "$dir/$name.supervisor.pid"; child=
trap 'kill -TERM $child 2>/dev/null; wait $child 2>/dev/null; rm -f "$dir/$name.pid"; exit 0' TERM INT
trap 'kill -TERM $child 2>/dev/null' HUP
while :; do
  "$@" >>"$dir/$name.log" 2>&1 &
  child=$!; echo $child > "$dir/$name.pid.tmp"; mv "$dir/$name.pid.tmp" "$dir/$name.pid"
  wait $child; rc=$?
  while [ $rc -gt 128 ] && kill -0 $child 2>/dev/null; do wait $child; rc=$?; done
  sleep 0.2
done
)";

std::size_t lineCount(const std::string& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
  }
  return n;
}

struct Rig {
  explicit Rig(const std::string& name) : fx(Fixture::load()), dir(fx.workDir(name)) {}
  Fixture fx;
  std::string dir;
  std::unique_ptr<nats::Connection> bus;
  std::unique_ptr<ChildProcess> agent;
  std::string agent_id = "actions-agent";

  void start(const std::string& actions_yaml, const std::string& extra_yaml = "") {
    const std::string config = dir + "/agent.yaml";
    writeFile(config, "agent_id: " + agent_id + "\nnats:\n  url: " + fx.nats_url +
                          "\nlog:\n  level: info\n  format: text\n" + "actions:\n" + actions_yaml +
                          extra_yaml + "checks:\n  - name: bus-tcp\n    service: bus\n"
                          "    kind: tcp\n    host: 127.0.0.1\n    port: " +
                          std::to_string(fx.nats_port) + "\n    interval: 1h\n");
    agent = std::make_unique<ChildProcess>(
        std::vector<std::string>{fx.bin_dir + "/vitals-agent", "--config", config},
        dir + "/agent.log", fx.run_dir + "/pids");
    nats::ConnectOptions o;
    o.url = fx.nats_url;
    o.name = "agent-actions-test";
    auto c = nats::Connection::connect(o);
    REQUIRE(c);
    bus = std::move(*c);
    // Ready when it answers (a refused request runs nothing).
    int n = 0;
    const bool ready = waitUntil(
        [&] {
          pb::CommandRequest r;
          r.set_request_id("ready-" + std::to_string(++n));
          r.set_action("no-such-action");
          return bus->request(subjects::command(agent_id, "run-action"), r.SerializeAsString(),
                              500ms)
              .ok();
        },
        20s);
    if (!ready) {
      FAIL("agent did not answer commands:\n" << agent->log());
    }
  }

  pb::CommandReply send(const std::string& verb, const pb::CommandRequest& request,
                        std::chrono::milliseconds timeout = 10s) {
    auto bytes = bus->request(subjects::command(agent_id, verb), request.SerializeAsString(),
                              timeout);
    if (!bytes) {
      FAIL("no reply to " << verb << ": " << bytes.error().describe() << "\n" << agent->log());
    }
    pb::CommandReply reply;
    REQUIRE(reply.ParseFromString(*bytes));
    return reply;
  }

  pb::CommandReply action(const std::string& id, const std::string& name,
                          std::map<std::string, std::string> params = {}, bool dry_run = false) {
    pb::CommandRequest r;
    r.set_request_id(id);
    r.set_agent_id(agent_id);
    r.set_verb(pb::COMMAND_VERB_RUN_ACTION);
    r.set_action(name);
    r.set_requested_by("integration-test");
    r.set_dry_run(dry_run);
    for (const auto& [k, v] : params) {
      (*r.mutable_params())[k] = v;
    }
    return send("run-action", r);
  }
};

}  // namespace

TEST_CASE("agent actions: once per request id, dry run, refusals, timeout, recheck and logs",
          "[agent][integration]") {
  Rig rig("agent-actions");
  const std::string out = rig.dir + "/out.txt";
  const std::string script = rig.dir + "/append.sh";
  writeFile(script, "#!/bin/sh\necho \"$1\" >> \"$2\"\necho appended \"$1\"\n");
  ::chmod(script.c_str(), 0755);
  const std::string log = rig.dir + "/web.log";
  {
    std::ofstream l(log);
    for (int i = 1; i <= 50; ++i) {
      l << "web line " << i << "\n";
    }
  }
  rig.start("  append:\n    argv: [" + script + ", \"{line}\", " + out +
                "]\n    params: {line: \"^[a-z0-9-]{1,32}$\"}\n    timeout: 5s\n"
                "  hang:\n    argv: [/bin/sleep, \"30\"]\n    timeout: 300ms\n",
            "services:\n  web: {log_file: " + log + "}\n");

  SECTION("a request id runs once; the repeat gets the first reply as DUPLICATE") {
    auto first = rig.action("req-1", "append", {{"line", "hello"}});
    INFO(first.error());
    CHECK(first.outcome() == pb::COMMAND_OUTCOME_OK);
    CHECK(first.exit_code() == 0);
    CHECK(first.output() == "appended hello\n");
    CHECK(first.request_id() == "req-1");
    auto again = rig.action("req-1", "append", {{"line", "hello"}});
    CHECK(again.outcome() == pb::COMMAND_OUTCOME_DUPLICATE);
    CHECK(again.output() == "appended hello\n");
    auto second = rig.action("req-2", "append", {{"line", "world"}});
    CHECK(second.outcome() == pb::COMMAND_OUTCOME_OK);
    CHECK(readFile(out) == "hello\nworld\n");
  }

  SECTION("dry_run, an unknown action and a bad parameter run nothing") {
    auto dry = rig.action("dry-1", "append", {{"line", "dry"}}, true);
    CHECK(dry.outcome() == pb::COMMAND_OUTCOME_OK);
    REQUIRE(dry.argv_size() == 3);
    CHECK(dry.argv(0) == script);
    CHECK(dry.argv(1) == "dry");
    auto unknown = rig.action("u-1", "rm-everything");
    CHECK(unknown.outcome() == pb::COMMAND_OUTCOME_REJECTED);
    CHECK(unknown.error().find("unknown action") != std::string::npos);
    auto bad = rig.action("b-1", "append", {{"line", "x; touch /tmp/pwned"}});
    CHECK(bad.outcome() == pb::COMMAND_OUTCOME_REJECTED);
    CHECK(bad.error().find("\"line\"") != std::string::npos);
    auto missing = rig.action("b-2", "append");
    CHECK(missing.outcome() == pb::COMMAND_OUTCOME_REJECTED);
    CHECK(lineCount(out) == 0);
  }

  SECTION("a process past its timeout is killed and reported as TIMEOUT") {
    auto hang = rig.action("h-1", "hang");
    CHECK(hang.outcome() == pb::COMMAND_OUTCOME_TIMEOUT);
    CHECK(hang.duration().seconds() < 5);
  }

  SECTION("recheck returns a fresh result of the check") {
    pb::CommandRequest r;
    r.set_request_id("rc-1");
    r.set_check("bus-tcp");
    auto reply = rig.send("recheck", r);
    CHECK(reply.outcome() == pb::COMMAND_OUTCOME_OK);
    REQUIRE(reply.results_size() == 1);
    auto result = codec::decodeCheckResult(reply.results(0));
    REQUIRE(result);
    CHECK(result->check == "bus-tcp");
    CHECK(result->raw_status == HealthStatus::Healthy);
    pb::CommandRequest d;
    d.set_request_id("dg-1");
    d.set_service("bus");
    auto diag = rig.send("diagnose", d);
    REQUIRE(diag.results_size() == 1);
    auto verbose = codec::decodeCheckResult(diag.results(0));
    REQUIRE(verbose);
    CHECK(verbose->details.count("diagnose.timeout") == 1);
  }

  SECTION("logs returns the last lines of the service's log file") {
    pb::CommandRequest r;
    r.set_request_id("lg-1");
    r.set_service("web");
    r.set_lines(3);
    auto reply = rig.send("logs", r);
    CHECK(reply.outcome() == pb::COMMAND_OUTCOME_OK);
    REQUIRE(reply.lines_size() == 3);
    CHECK(reply.lines(0) == "web line 48");
    CHECK(reply.lines(2) == "web line 50");
    pb::CommandRequest other;
    other.set_request_id("lg-2");
    other.set_service("db");
    CHECK(rig.send("logs", other).outcome() == pb::COMMAND_OUTCOME_REJECTED);
  }
}

TEST_CASE("agent restart action restarts a real supervised process", "[agent][integration]") {
  Rig rig("agent-actions-restart");
  const std::string supervisor = rig.dir + "/supervise.sh";
  writeFile(supervisor, kSupervisor);
  ::chmod(supervisor.c_str(), 0755);
  ::setenv("SVC_DIR", rig.dir.c_str(), 1);
  ChildProcess svc({"/bin/bash", supervisor, "web", "/bin/sleep", "3600"}, rig.dir + "/svc.log",
                   rig.fx.run_dir + "/pids");
  const std::string pid_file = rig.dir + "/web.pid";
  REQUIRE(waitUntil([&] { return std::filesystem::exists(pid_file); }, 10s));
  const std::string old_pid = readFile(pid_file);

  rig.start("  restart-web:\n    argv: [/usr/bin/pkill, -HUP, -F, " + rig.dir +
            "/web.supervisor.pid]\n    timeout: 10s\n    cooldown: 1h\n");
  auto reply = rig.action("restart-1", "restart-web");
  INFO(reply.error() << reply.output());
  CHECK(reply.outcome() == pb::COMMAND_OUTCOME_OK);
  std::string new_pid;
  CHECK(waitUntil(
      [&] {
        new_pid = std::filesystem::exists(pid_file) ? readFile(pid_file) : "";
        return !new_pid.empty() && new_pid != old_pid;
      },
      10s));
  CHECK(::kill(std::stoi(new_pid.empty() ? "0" : new_pid), 0) == 0);
  // The cooldown refuses a second restart at once.
  auto again = rig.action("restart-2", "restart-web");
  CHECK(again.outcome() == pb::COMMAND_OUTCOME_REJECTED);
  CHECK(again.error().find("cooldown") != std::string::npos);

  svc.stop(SIGTERM, 5000);  // the supervisor stops its child too
  if (!new_pid.empty()) {
    ::kill(std::stoi(new_pid), SIGKILL);
  }
}

TEST_CASE("agent restart action restarts a real Podman container, once per cooldown",
          "[agent][integration]") {
  Rig rig("agent-actions-podman");
  const std::string prefix = rig.fx.run_dir + "/podman-actions";
  const std::string script = std::string(VITALS_SOURCE_DIR) + "/tests/fixtures/podman.sh";
  std::string setup_log;
  const int rc = shell(script + " start " + prefix, &setup_log);
  struct Teardown {
    std::string cmd;
    ~Teardown() { shell(cmd); }
  } teardown{script + " stop " + prefix};
  INFO("podman.sh output:\n" << setup_log);
  REQUIRE(rc == 0);  // no silent pass: an engine that cannot start fails the test
  const std::string conf = "CONTAINERS_CONF=" + prefix + "/cfg/containers.conf";
  const std::string storage = "CONTAINERS_STORAGE_CONF=" + prefix + "/cfg/storage.conf";
  auto podman = [&](const std::string& args) {
    std::string out;
    const int code = shell(conf + " " + storage + " podman " + args, &out);
    INFO("podman " << args << "\n" << out);
    REQUIRE(code == 0);
    return out;
  };
  podman("run -d --name app --network none --init localhost/bbox sleep 3600");
  const auto started = [&] { return podman("inspect app --format '{{.State.StartedAt}}'"); };
  const std::string before = started();

  // The action is the agent's own config: argv only, no shell.
  rig.start("  restart-app:\n    argv: [/usr/bin/env, \"" + conf + "\", \"" + storage +
            "\", /usr/bin/podman, restart, --time, \"1\", app]\n    timeout: 30s\n"
            "    cooldown: 1h\n");
  auto reply = rig.action("podman-restart-1", "restart-app");
  INFO(reply.error() << reply.output());
  REQUIRE(reply.outcome() == pb::COMMAND_OUTCOME_OK);
  CHECK(reply.exit_code() == 0);
  const std::string after = started();
  CHECK(after != before);
  CHECK(podman("inspect app --format '{{.State.Status}}'").find("running") != std::string::npos);
  // A second request within the cooldown runs nothing.
  auto again = rig.action("podman-restart-2", "restart-app");
  CHECK(again.outcome() == pb::COMMAND_OUTCOME_REJECTED);
  CHECK(started() == after);
}
