// The command handler with fakes: parameter validation and substitution, idempotency, the
// concurrency limit and cooldown, dry-run, output cap, timeouts, recheck/diagnose and logs.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "agent/actions/action_argv.hpp"
#include "agent/actions/command_handler.hpp"
#include "agent/actions/log_tail.hpp"
#include "agent/actions/recent_replies.hpp"
#include "agent/config/actions_reader.hpp"
#include "common/time/manual_time.hpp"
#include "fakes/fake_work_queue.hpp"
#include "fakes/test_logger.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace vitals::agent::test;
using namespace std::chrono_literals;

namespace {

// Records what it was asked to run and answers with a scripted result.
class FakeExecutor final : public ActionExecutor {
 public:
  ProcessResult execute(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                        std::size_t max_output) override {
    calls.push_back(argv);
    last_timeout = timeout;
    last_max_output = max_output;
    ProcessResult r = next;
    if (r.output.size() > max_output) {
      r.output.resize(max_output);
      r.truncated = true;
    }
    return r;
  }
  std::vector<std::vector<std::string>> calls;
  std::chrono::milliseconds last_timeout{0};
  std::size_t last_max_output = 0;
  ProcessResult next = [] {
    ProcessResult r;
    r.started = true;
    r.exit_code = 0;
    r.output = "done\n";
    r.duration = 1500us;
    return r;
  }();
};

// Checks by service; runs finish when the test calls complete().
class FakeCheckRunner final : public CheckRunner {
 public:
  std::map<std::string, std::string> service_of;  // check -> service
  std::vector<std::pair<std::string, Done>> pending;
  std::vector<bool> verbose;

  std::vector<std::string> checksOfService(const std::string& service) const override {
    std::vector<std::string> out;
    for (const auto& [check, s] : service_of) {
      if (s == service) {
        out.push_back(check);
      }
    }
    return out;
  }
  bool runNow(const std::string& check, bool v, Done done) override {
    if (service_of.count(check) == 0) {
      return false;
    }
    verbose.push_back(v);
    pending.emplace_back(check, std::move(done));
    return true;
  }
  void completeAll() {
    auto items = std::move(pending);
    pending.clear();
    for (auto& [check, done] : items) {
      CheckResult r;
      r.check = check;
      r.service = service_of[check];
      r.status = HealthStatus::Healthy;
      done(r);
    }
  }
};

ActionConfig action(const std::string& name, std::vector<std::string> argv,
                    std::vector<ActionParam> params = {}) {
  ActionConfig a;
  a.name = name;
  a.argv = argv;
  a.params = std::move(params);
  for (const auto& item : argv) {
    std::string error;
    a.argv_template.push_back(*parseArgvTemplate(item, error));
  }
  return a;
}

struct Rig {
  ManualTime time;
  ManualWorkQueue queue;
  FakeExecutor executor;
  FakeCheckRunner checks;
  metrics::Registry metrics;
  std::vector<CommandReply> replies;
  std::unique_ptr<CommandHandler> handler;

  explicit Rig(std::vector<ActionConfig> actions = {},
               std::map<std::string, ServiceSettings> services = {}) {
    CommandSettings s;
    s.agent_id = "web-01";
    s.actions = std::move(actions);
    s.services = std::move(services);
    s.remembered = 3;
    handler = std::make_unique<CommandHandler>(s, time, queue, executor, checks, metrics,
                                               quietLogger());
  }
  void send(Command c) {
    handler->handle(std::move(c), [this](const CommandReply& r) { replies.push_back(r); });
  }
  const CommandReply& last() const { return replies.back(); }
  std::uint64_t count(const std::string& verb, const std::string& outcome) {
    return metrics
        .counter("vitals_agent_commands_total", "",
                 "verb=\"" + verb + "\",outcome=\"" + outcome + "\"")
        .value();
  }
};

Command runAction(const std::string& id, const std::string& name,
                  std::map<std::string, std::string> params = {}) {
  Command c;
  c.request_id = id;
  c.verb = CommandVerb::RunAction;
  c.action = name;
  c.params = std::move(params);
  c.requested_by = "test";
  return c;
}

ActionConfig signalAction() {
  return action("signal", {"/bin/kill", "-{sig}", "{pid}"},
                {ActionParam{"pid", "^[0-9]{1,7}$"}, ActionParam{"sig", "^(HUP|TERM)$"}});
}

}  // namespace

TEST_CASE("buildArgv substitutes validated parameters as whole items and substrings",
          "[agent][unit]") {
  const ActionConfig a = signalAction();
  auto argv = buildArgv(a, {{"pid", "4242"}, {"sig", "HUP"}});
  REQUIRE(argv);
  CHECK(*argv == std::vector<std::string>{"/bin/kill", "-HUP", "4242"});

  // A value is text in one argv item, whatever it contains: no shell, no splitting.
  const ActionConfig echo = action("echo", {"/bin/echo", "{text}"}, {ActionParam{"text", ".*"}});
  auto spaced = buildArgv(echo, {{"text", "a b; rm -rf / $(x)"}});
  REQUIRE(spaced);
  CHECK(spaced->size() == 2);
  CHECK((*spaced)[1] == "a b; rm -rf / $(x)");
}

TEST_CASE("buildArgv refuses missing, extra and non-matching parameters by name",
          "[agent][unit]") {
  const ActionConfig a = signalAction();
  auto missing = buildArgv(a, {{"pid", "1"}});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("missing parameter \"sig\"") != std::string::npos);
  auto extra = buildArgv(a, {{"pid", "1"}, {"sig", "HUP"}, {"user", "root"}});
  REQUIRE_FALSE(extra);
  CHECK(extra.error().message.find("unknown parameter \"user\"") != std::string::npos);
  // The pattern must match the whole value, not a part of it.
  auto partial = buildArgv(a, {{"pid", "1 2"}, {"sig", "HUP"}});
  REQUIRE_FALSE(partial);
  CHECK(partial.error().message.find("\"pid\" does not match") != std::string::npos);
  auto injected = buildArgv(a, {{"pid", "1"}, {"sig", "HUPX"}});
  REQUIRE_FALSE(injected);
  CHECK(injected.error().message.find("\"sig\"") != std::string::npos);
}

TEST_CASE("RecentReplies keeps the first reply of the last N request ids", "[agent][unit]") {
  RecentReplies recent(2);
  CommandReply r;
  r.output = "first";
  recent.start("a");
  CHECK(recent.running("a"));
  CHECK(recent.find("a") == nullptr);
  recent.finish("a", r);
  CHECK_FALSE(recent.running("a"));
  REQUIRE(recent.find("a") != nullptr);
  CHECK(recent.find("a")->output == "first");
  recent.start("b");
  recent.finish("b", r);
  recent.start("c");
  recent.finish("c", r);
  CHECK(recent.find("a") == nullptr);  // the oldest is forgotten beyond capacity
  CHECK(recent.find("b") != nullptr);
  CHECK(recent.size() == 2);
  recent.start("d");
  recent.abandon("d");
  CHECK_FALSE(recent.running("d"));
  CHECK(recent.find("d") == nullptr);
}

TEST_CASE("run-action runs the configured argv off the loop and replies with its result",
          "[agent][unit]") {
  Rig rig({signalAction()});
  rig.send(runAction("r1", "signal", {{"pid", "77"}, {"sig", "TERM"}}));
  CHECK(rig.replies.empty());  // queued on the worker, not run on the loop
  REQUIRE(rig.queue.pending() == 1);
  rig.queue.runAll();
  REQUIRE(rig.replies.size() == 1);
  const CommandReply& r = rig.last();
  CHECK(r.outcome == CommandOutcome::Ok);
  CHECK(r.request_id == "r1");
  CHECK(r.agent_id == "web-01");
  CHECK(r.exit_code == 0);
  CHECK(r.output == "done\n");
  CHECK(r.duration == 1500us);
  CHECK(r.argv == std::vector<std::string>{"/bin/kill", "-TERM", "77"});
  REQUIRE(rig.executor.calls.size() == 1);
  CHECK(rig.executor.calls[0] == r.argv);
  CHECK(rig.executor.last_timeout == 30s);
  CHECK(rig.count("run-action", "ok") == 1);
}

TEST_CASE("unknown actions and bad parameters are refused without running anything",
          "[agent][unit]") {
  Rig rig({signalAction()});
  rig.send(runAction("r1", "rm-rf"));
  REQUIRE(rig.replies.size() == 1);
  CHECK(rig.last().outcome == CommandOutcome::Rejected);
  CHECK(rig.last().error == "unknown action \"rm-rf\"");
  rig.send(runAction("r2", "signal", {{"pid", "77; reboot"}, {"sig", "HUP"}}));
  REQUIRE(rig.replies.size() == 2);
  CHECK(rig.last().outcome == CommandOutcome::Rejected);
  CHECK(rig.last().error.find("\"pid\"") != std::string::npos);
  CHECK(rig.queue.pending() == 0);
  CHECK(rig.executor.calls.empty());
  CHECK(rig.count("run-action", "rejected") == 2);
  // A refused id is not remembered: the corrected request with the same id runs.
  rig.send(runAction("r2", "signal", {{"pid", "77"}, {"sig", "HUP"}}));
  rig.queue.runAll();
  CHECK(rig.last().outcome == CommandOutcome::Ok);
}

TEST_CASE("a repeated request id runs once and gets the first reply as DUPLICATE",
          "[agent][unit]") {
  Rig rig({action("touch", {"/bin/true"})});
  rig.send(runAction("same", "touch"));
  // Repeated while the first still runs: nothing new starts.
  rig.send(runAction("same", "touch"));
  REQUIRE(rig.replies.size() == 1);
  CHECK(rig.last().outcome == CommandOutcome::Duplicate);
  CHECK(rig.last().error.find("still running") != std::string::npos);
  rig.queue.runAll();
  REQUIRE(rig.replies.size() == 2);
  CHECK(rig.last().outcome == CommandOutcome::Ok);
  rig.send(runAction("same", "touch"));
  REQUIRE(rig.replies.size() == 3);
  CHECK(rig.last().outcome == CommandOutcome::Duplicate);
  CHECK(rig.last().output == "done\n");  // the first reply, repeated
  CHECK(rig.queue.pending() == 0);
  CHECK(rig.executor.calls.size() == 1);
  // Only the last `remembered` (3 here) ids are kept.
  for (const char* id : {"x1", "x2", "x3"}) {
    rig.send(runAction(id, "touch"));
    rig.queue.runAll();
  }
  rig.send(runAction("same", "touch"));
  rig.queue.runAll();
  CHECK(rig.last().outcome == CommandOutcome::Ok);
  CHECK(rig.executor.calls.size() == 5);
}

TEST_CASE("dry_run reports the argv that would run and runs nothing", "[agent][unit]") {
  Rig rig({signalAction()});
  Command c = runAction("d1", "signal", {{"pid", "9"}, {"sig", "HUP"}});
  c.dry_run = true;
  rig.send(c);
  REQUIRE(rig.replies.size() == 1);
  CHECK(rig.last().outcome == CommandOutcome::Ok);
  CHECK(rig.last().argv == std::vector<std::string>{"/bin/kill", "-HUP", "9"});
  CHECK(rig.last().output.find("would run /bin/kill -HUP 9") != std::string::npos);
  CHECK(rig.queue.pending() == 0);
  CHECK(rig.executor.calls.empty());
  // A dry run still validates.
  Command bad = runAction("d2", "signal", {{"pid", "x"}, {"sig", "HUP"}});
  bad.dry_run = true;
  rig.send(bad);
  CHECK(rig.last().outcome == CommandOutcome::Rejected);
}

TEST_CASE("max_concurrent refuses a run while the limit is in use, and frees on completion",
          "[agent][unit]") {
  ActionConfig a = action("slow", {"/bin/true"});
  a.max_concurrent = 2;
  Rig rig({a});
  rig.send(runAction("1", "slow"));
  rig.send(runAction("2", "slow"));
  CHECK(rig.handler->running("slow") == 2);
  rig.send(runAction("3", "slow"));
  REQUIRE(rig.replies.size() == 1);
  CHECK(rig.last().outcome == CommandOutcome::Rejected);
  CHECK(rig.last().error.rfind("busy", 0) == 0);
  rig.queue.runOne();
  CHECK(rig.handler->running("slow") == 1);
  rig.send(runAction("4", "slow"));
  CHECK(rig.queue.pending() == 2);
  rig.queue.runAll();
  CHECK(rig.handler->running("slow") == 0);
  CHECK(rig.executor.calls.size() == 3);
}

TEST_CASE("cooldown allows one start per period", "[agent][unit]") {
  ActionConfig a = action("restart", {"/bin/true"});
  a.cooldown = 60s;
  Rig rig({a});
  rig.send(runAction("1", "restart"));
  rig.queue.runAll();
  CHECK(rig.last().outcome == CommandOutcome::Ok);
  rig.time.advance(59s);
  rig.send(runAction("2", "restart"));
  CHECK(rig.last().outcome == CommandOutcome::Rejected);
  CHECK(rig.last().error.find("cooldown") != std::string::npos);
  rig.time.advance(1s);
  rig.send(runAction("3", "restart"));
  rig.queue.runAll();
  CHECK(rig.last().outcome == CommandOutcome::Ok);
  CHECK(rig.executor.calls.size() == 2);
}

TEST_CASE("output is capped at the action's max_output and flagged", "[agent][unit]") {
  ActionConfig a = action("noisy", {"/bin/true"});
  a.max_output = 1024;
  Rig rig({a});
  rig.executor.next.output = std::string(5000, 'x');
  rig.send(runAction("1", "noisy"));
  rig.queue.runAll();
  CHECK(rig.executor.last_max_output == 1024);
  CHECK(rig.last().output.size() == 1024);
  CHECK(rig.last().output_truncated);
}

TEST_CASE("exit codes, signals, timeouts and start failures map to outcomes", "[agent][unit]") {
  Rig rig({action("a", {"/bin/true"})});
  auto run = [&](ProcessResult p) {
    rig.executor.next = p;
    rig.send(runAction(std::to_string(rig.replies.size()), "a"));
    rig.queue.runAll();
    return rig.last();
  };
  ProcessResult failed;
  failed.started = true;
  failed.exit_code = 3;
  CHECK(run(failed).outcome == CommandOutcome::Failed);
  CHECK(rig.last().exit_code == 3);
  ProcessResult timed;
  timed.started = true;
  timed.timed_out = true;
  CHECK(run(timed).outcome == CommandOutcome::Timeout);
  ProcessResult killed;
  killed.started = true;
  killed.signal = 9;
  CHECK(run(killed).outcome == CommandOutcome::Failed);
  CHECK(rig.last().exit_code == 137);
  ProcessResult missing;
  missing.start_error = "cannot run /nope: No such file or directory";
  CHECK(run(missing).outcome == CommandOutcome::Failed);
  CHECK(rig.last().error == missing.start_error);
}

TEST_CASE("requests without an id, for another agent or past their deadline are refused",
          "[agent][unit]") {
  Rig rig({action("a", {"/bin/true"})});
  rig.send(runAction("", "a"));
  CHECK(rig.last().error == "request_id is required");
  Command other = runAction("1", "a");
  other.agent_id = "db-01";
  rig.send(other);
  CHECK(rig.last().outcome == CommandOutcome::Rejected);
  Command late = runAction("2", "a");
  late.deadline = rig.time.now() - 1s;
  rig.send(late);
  CHECK(rig.last().outcome == CommandOutcome::Rejected);
  CHECK(rig.executor.calls.empty());
  CHECK(rig.queue.pending() == 0);
}

TEST_CASE("recheck runs a named check or every check of a service and returns the results",
          "[agent][unit]") {
  Rig rig;
  rig.checks.service_of = {{"web-http", "web"}, {"web-tcp", "web"}, {"db", "db"}};
  Command c;
  c.request_id = "c1";
  c.verb = CommandVerb::Recheck;
  c.service = "web";
  rig.send(c);
  CHECK(rig.replies.empty());
  REQUIRE(rig.checks.pending.size() == 2);
  rig.checks.completeAll();
  REQUIRE(rig.replies.size() == 1);
  CHECK(rig.last().outcome == CommandOutcome::Ok);
  REQUIRE(rig.last().results.size() == 2);
  CHECK(rig.last().results[0].service == "web");
  CHECK(rig.checks.verbose == std::vector<bool>{false, false});

  Command d;
  d.request_id = "c2";
  d.verb = CommandVerb::Diagnose;
  d.check = "db";
  rig.send(d);
  rig.checks.completeAll();
  REQUIRE(rig.last().results.size() == 1);
  CHECK(rig.checks.verbose.back());

  Command unknown = d;
  unknown.request_id = "c3";
  unknown.check = "nope";
  rig.send(unknown);
  CHECK(rig.last().outcome == CommandOutcome::Rejected);
  Command wrong = d;
  wrong.request_id = "c4";
  wrong.service = "web";
  rig.send(wrong);
  CHECK(rig.last().outcome == CommandOutcome::Rejected);
  CHECK(rig.checks.pending.empty());
}

TEST_CASE("logs returns the last lines of the service's log file, at most 1000",
          "[agent][unit]") {
  const std::string path = "/tmp/vitals-actions-unit-" + std::to_string(::getpid()) + ".log";
  {
    std::ofstream out(path);
    for (int i = 1; i <= 300; ++i) {
      out << "line " << i << "\n";
    }
  }
  Rig rig({}, {{"web", ServiceSettings{path}}});
  Command c;
  c.request_id = "l1";
  c.verb = CommandVerb::Logs;
  c.service = "web";
  c.lines = 3;
  rig.send(c);
  rig.queue.runAll();
  CHECK(rig.last().outcome == CommandOutcome::Ok);
  CHECK(rig.last().lines == std::vector<std::string>{"line 298", "line 299", "line 300"});
  c.request_id = "l2";
  c.lines = 0;  // default 100
  rig.send(c);
  rig.queue.runAll();
  REQUIRE(rig.last().lines.size() == 100);
  CHECK(rig.last().lines.front() == "line 201");
  c.request_id = "l3";
  c.lines = 1001;
  rig.send(c);
  CHECK(rig.last().outcome == CommandOutcome::Rejected);
  c.request_id = "l4";
  c.lines = 5;
  c.service = "db";
  rig.send(c);
  CHECK(rig.last().outcome == CommandOutcome::Rejected);
  std::remove(path.c_str());
}

TEST_CASE("tailFile handles short files, missing newlines, budgets and bad UTF-8",
          "[agent][unit]") {
  const std::string path = "/tmp/vitals-tail-unit-" + std::to_string(::getpid()) + ".log";
  auto write = [&](const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  };
  write("");
  auto empty = tailFile(path, 10, 1 << 16);
  REQUIRE(empty);
  CHECK(empty->lines.empty());
  write("a\nb");
  auto last = tailFile(path, 10, 1 << 16);
  REQUIRE(last);
  CHECK(last->lines == std::vector<std::string>{"a", "b"});
  write(std::string(100, 'x') + "\nshort\n");
  auto budget = tailFile(path, 2, 20);
  REQUIRE(budget);
  CHECK(budget->lines == std::vector<std::string>{"short"});
  CHECK(budget->truncated);
  write("ok \xff\xfe end\n");
  auto bad = tailFile(path, 1, 1 << 16);
  REQUIRE(bad);
  CHECK(bad->lines == std::vector<std::string>{"ok ?? end"});
  std::remove(path.c_str());
  CHECK_FALSE(tailFile(path, 1, 100));
}
