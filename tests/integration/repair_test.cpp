// Guarded auto-repair against a real hub, NATS, PostgreSQL and a real agent whose repair action
// appends one line to a file. Each line records how many "repair.execute" audit rows were
// committed when the action ran (the action asks PostgreSQL itself), so the file proves both
// how many executions happened and that each one's audit row was committed before it.
//
// Guarantees proven here (docs/operations.md "Auto-repair guardrails"):
//   - at most one execution per (agent, action) per cooldown, with a burst of transitions, with
//     two hubs on one database and stream, with a hub killed mid-way (redelivery), and with
//     duplicated agent requests;
//   - none without a required approval (pending waits; reject and expiry run nothing;
//     concurrent approvals run it once);
//   - none in dry run;
//   - an audit row committed before every execution.
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/nats/nats_client.hpp"
#include "common/nats/subjects.hpp"
#include "tests/support/pg_query.hpp"
#include "tests/support/stack.hpp"
#include "vitals/v1/command.pb.h"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

namespace pb = vitals::v1;

std::vector<std::string> linesOf(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      out.push_back(line);
    }
  }
  return out;
}

json parse(const HttpReply& r) {
  json j = json::parse(r.body, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

struct Rig {
  explicit Rig(const std::string& name)
      : fx(Fixture::load()), dir(fx.workDir(name)), db(fx.freshDatabase(name)) {
    resetStream(fx);
    out = dir + "/out.txt";
    state_file = dir + "/state";
    log_file = dir + "/web.log";
    writeFile(state_file, "0\n");
    std::string log_text;
    for (int i = 1; i <= 20; ++i) {
      log_text += "web line " + std::to_string(i) + "\n";
    }
    writeFile(log_file, log_text);
    // The harmless repair action: one line per run, with the number of committed
    // repair.execute audit rows at that moment.
    const std::string script = dir + "/restart-web.sh";
    writeFile(script, "#!/bin/sh\nn=$(psql \"" + db +
                          "\" -Atc \"SELECT count(*) FROM audit_log WHERE action = "
                          "'repair.execute'\")\necho \"$n $(date +%s%N)\" >> " +
                          out + "\necho restarted\n");
    ::chmod(script.c_str(), 0755);
    // A second action of the service, for operator-named runs.
    const std::string flush = dir + "/flush-web.sh";
    writeFile(flush, "#!/bin/sh\necho flushed >> " + dir + "/flush.txt\necho flushed\n");
    ::chmod(flush.c_str(), 0755);
    agent_config = dir + "/agent.yaml";
    writeFile(agent_config,
              "agent_id: " + agent_id + "\nnats:\n  url: " + fx.nats_url +
                  "\nheartbeat_interval: 2s\nlog:\n  level: info\n  format: text\n"
                  "publish:\n  max_delay: 50ms\n"
                  "actions:\n  restart-web:\n    argv: [" +
                  script +
                  "]\n    timeout: 10s\n"
                  "  flush-web:\n    argv: [" +
                  flush +
                  "]\n    timeout: 10s\n"
                  "services:\n  web: {log_file: " +
                  log_file +
                  "}\n"
                  "checks:\n  - name: web-exec\n    service: web\n    kind: exec\n"
                  "    argv: [/bin/sh, -c, \"exit $(cat " +
                  state_file +
                  ")\"]\n"
                  "    interval: 300ms\n    timeout: 250ms\n    retries: 1\n    recover: 1\n");
  }

  HubProcess& startHub(const std::string& hub_id, const std::string& repair_yaml = "") {
    HubOptions o;
    o.hub_id = hub_id;
    o.db_conninfo = db;
    o.http_port = freeTcpPort();
    o.batch_size = 50;
    o.extra_yaml = "repair:\n  sweep_interval: 200ms\n  command_timeout: 15s\n" + repair_yaml;
    std::filesystem::create_directories(dir + "/" + hub_id);
    hubs.push_back(std::make_unique<HubProcess>(fx, dir + "/" + hub_id, o));
    if (!hubs.back()->waitReady(30s)) {
      FAIL("hub not ready:\n" << hubs.back()->log());
    }
    return *hubs.back();
  }

  void startAgent() {
    agent = std::make_unique<ChildProcess>(
        std::vector<std::string>{fx.bin_dir + "/vitals-agent", "--config", agent_config},
        dir + "/agent.log", fx.run_dir + "/pids");
    // Ready when the hub knows the service and the agent's actions.
    const bool ready = waitUntil(
        [&] {
          return count(db, "SELECT count(*) FROM agents WHERE actions ? 'restart-web'") == 1 &&
                 httpGet(hubs.front()->port(), "/api/v1/services/web").status == 200;
        },
        30s);
    if (!ready) {
      FAIL("agent did not register:\n" << agent->log() << "\n" << hubs.front()->log());
    }
  }

  std::string status(int port) {
    return parse(httpGet(port, "/api/v1/services/web")).value("status", "");
  }

  // One down transition and back (the state file drives the exec check).
  void flap(int port) {
    writeFile(state_file, "2\n");
    CHECK(waitUntil([&] { return status(port) == "down"; }, 15s));
    writeFile(state_file, "0\n");
    CHECK(waitUntil([&] { return status(port) == "healthy"; }, 15s));
  }

  HttpReply put(int port, const std::string& path, const json& body) {
    return httpRequest(port, "PUT", path, body.dump());
  }
  HttpReply post(int port, const std::string& path, const json& body = json::object()) {
    return httpRequest(port, "POST", path, body.dump());
  }

  // Every line must have seen at least as many committed execute audit rows as its position.
  void checkAuditBeforeEachExecution() {
    const auto lines = linesOf(out);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      INFO("line " << i + 1 << ": " << lines[i]);
      std::istringstream in(lines[i]);
      long long committed = -1;
      in >> committed;
      CHECK(committed >= static_cast<long long>(i + 1));
    }
    CHECK(count(db, "SELECT count(*) FROM audit_log WHERE action = 'repair.execute'") >=
          static_cast<long long>(lines.size()));
  }

  Fixture fx;
  std::string dir;
  std::string db;
  std::string out, state_file, log_file, agent_config;
  std::string agent_id = "repair-agent";
  std::vector<std::unique_ptr<HubProcess>> hubs;
  std::unique_ptr<ChildProcess> agent;
};

json policyBody(bool enabled, int cooldown_s, bool approval = false, bool dry_run = false) {
  return {{"enabled", enabled},
          {"dry_run", dry_run},
          {"require_approval", approval},
          {"actions", {{"unexpected", "restart-web"}}},
          {"cooldown_seconds", cooldown_s},
          {"verify_after_seconds", 1},
          {"max_attempts", 100},
          {"circuit_breaker", 100}};
}

}  // namespace

// GET /api/v1/policies/{service} answers the effective default before one is stored.
static bool storedPolicy(int port, const std::string& service) {
  const auto r = httpGet(port, "/api/v1/policies/" + service);
  return r.status == 200 && json::parse(r.body, nullptr, false).value("source", "") == "stored";
}

TEST_CASE("repair: a policy executes once per cooldown even with a burst of transitions",
          "[hub][integration][repair]") {
  Rig rig("repair_burst");
  auto& hub = rig.startHub("hub-repair-1");
  rig.startAgent();
  const int port = hub.port();

  // The default policy is stored for the service whose agent offers restart-web: disabled.
  REQUIRE(waitUntil([&] { return storedPolicy(port, "web"); }, 15s));
  auto def = parse(httpGet(port, "/api/v1/policies/web"));
  CHECK(def["enabled"] == false);
  CHECK(def["restart_action"] == "restart-web");
  CHECK(def["actions"]["timeout"] == "restart-web");
  // A disabled policy repairs nothing.
  rig.flap(port);

  auto put = rig.put(port, "/api/v1/policies/web", policyBody(true, 3600));
  INFO(put.body);
  REQUIRE(put.status == 200);
  for (int i = 0; i < 5; ++i) {
    rig.flap(port);
  }
  // Every down transition after the edit was decided: one execution, the rest held back.
  REQUIRE(waitUntil(
      [&] {
        return count(rig.db, "SELECT count(*) FROM auto_repairs WHERE trigger <> 'manual'") >= 5;
      },
      20s));
  REQUIRE(waitUntil([&] { return linesOf(rig.out).size() >= 1; }, 15s));
  CHECK(count(rig.db, "SELECT count(*) FROM auto_repairs WHERE status = 'succeeded'") == 1);
  CHECK(count(rig.db,
              "SELECT count(*) FROM auto_repairs WHERE status = 'skipped' AND "
              "reasons::text LIKE '%cooldown%'") >= 4);
  CHECK(linesOf(rig.out).size() == 1);
  rig.checkAuditBeforeEachExecution();

  // The succeeded repair carries the agent's reply and its verification.
  REQUIRE(waitUntil(
      [&] {
        return count(rig.db, "SELECT count(*) FROM auto_repairs WHERE verified IS NOT NULL") == 1;
      },
      15s));
  auto list = parse(httpGet(port, "/api/v1/repairs?status=succeeded"));
  REQUIRE(list["repairs"].size() == 1);
  const auto& done = list["repairs"][0];
  CHECK(done["exit_code"] == 0);
  CHECK(done["output"] == "restarted\n");
  CHECK(done["requested_by"] == "policy");
  CHECK(done["failure_class"] == "unexpected");

  // The audit trail, read back and exported.
  auto audit = parse(httpGet(port, "/api/v1/audit?action=repair.execute"));
  REQUIRE(audit["entries"].size() == 1);
  CHECK(audit["entries"][0]["actor"] == "policy");
  auto page = parse(httpGet(port, "/api/v1/audit?action=repair.*&limit=2"));
  CHECK(page["entries"].size() == 2);
  REQUIRE(page["next_cursor"].is_string());
  auto next = parse(httpGet(port, "/api/v1/audit?action=repair.*&limit=2&cursor=" +
                                      page["next_cursor"].get<std::string>()));
  REQUIRE(next["entries"].size() >= 1);
  CHECK(next["entries"][0]["id"].get<long long>() < page["entries"][1]["id"].get<long long>());
  auto csv = httpGet(port, "/api/v1/audit?format=csv&action=repair.execute");
  CHECK(csv.status == 200);
  CHECK(csv.body.rfind("id,at,actor,action,target,parameters,outcome\r\n", 0) == 0);
  auto jsonl = httpGet(port, "/api/v1/audit?format=jsonl&action=repair.*");
  CHECK(jsonl.status == 200);
  CHECK(std::count(jsonl.body.begin(), jsonl.body.end(), '\n') >= 6);
}

TEST_CASE("repair: dry run decides and records but runs nothing", "[hub][integration][repair]") {
  Rig rig("repair_dry_run");
  auto& hub = rig.startHub("hub-repair-dry");
  rig.startAgent();
  const int port = hub.port();
  REQUIRE(rig.put(port, "/api/v1/policies/web", policyBody(true, 0, false, true)).status == 201);
  rig.flap(port);
  REQUIRE(waitUntil(
      [&] {
        return count(rig.db, "SELECT count(*) FROM auto_repairs WHERE status = 'dry-run'") >= 1;
      },
      15s));
  // A dry-run quick action too.
  auto quick = rig.post(port, "/api/v1/services/web/actions/restart",
                        {{"confirm", true}, {"dry_run", true}});
  INFO(quick.body);
  CHECK(quick.status == 200);
  CHECK(parse(quick)["repair"]["status"] == "dry-run");
  // The agent said what it would run (and ran nothing).
  CHECK(parse(quick)["repair"]["output"].get<std::string>().find("would run") != std::string::npos);
  CHECK(parse(quick)["repair"]["outcome"] == "dry-run");
  CHECK(count(rig.db, "SELECT count(*) FROM auto_repairs WHERE status NOT IN ('dry-run')") == 0);
  CHECK(count(rig.db, "SELECT count(*) FROM audit_log WHERE action = 'repair.dry-run'") >= 2);
  CHECK(linesOf(rig.out).empty());
}

TEST_CASE("repair: approval required waits pending, approve runs once, reject and expiry never",
          "[hub][integration][repair]") {
  Rig rig("repair_approval");
  auto& hub = rig.startHub("hub-repair-approve", "  approval_expiry: 2s\n");
  rig.startAgent();
  const int port = hub.port();
  REQUIRE(rig.put(port, "/api/v1/policies/web", policyBody(false, 0, true)).status == 201);

  CHECK(rig.post(port, "/api/v1/services/web/actions/restart").status == 400);
  CHECK(rig.post(port, "/api/v1/services/web/actions/restart", {{"confirm", false}}).status == 400);

  auto pending = rig.post(port, "/api/v1/services/web/actions/restart", {{"confirm", true}});
  INFO(pending.body);
  REQUIRE(pending.status == 202);
  const long long id = parse(pending)["repair"]["id"].get<long long>();
  CHECK(parse(pending)["repair"]["status"] == "pending");
  auto approvals = parse(httpGet(port, "/api/v1/approvals"));
  REQUIRE(approvals["approvals"].size() == 1);
  CHECK(approvals["approvals"][0]["id"] == id);
  CHECK(linesOf(rig.out).empty());

  // Eight concurrent approvals: one wins, one execution.
  std::atomic<int> won{0}, conflicted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = rig.post(port, "/api/v1/approvals/" + std::to_string(id) + "/approve");
      if (r.status == 202 || r.status == 200) {
        ++won;
      } else if (r.status == 409) {
        ++conflicted;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(won == 1);
  CHECK(conflicted == 7);
  REQUIRE(waitUntil([&] { return linesOf(rig.out).size() == 1; }, 15s));
  REQUIRE(waitUntil(
      [&] {
        return parse(httpGet(port, "/api/v1/repairs/" + std::to_string(id)))["status"] ==
               "succeeded";
      },
      15s));

  // Rejected: nothing runs.
  auto second = parse(rig.post(port, "/api/v1/services/web/actions/restart", {{"confirm", true}}));
  const long long rejected = second["repair"]["id"].get<long long>();
  auto rej = rig.post(port, "/api/v1/approvals/" + std::to_string(rejected) + "/reject");
  CHECK(rej.status == 200);
  CHECK(rig.post(port, "/api/v1/approvals/" + std::to_string(rejected) + "/approve").status == 409);

  // Expired: nothing runs, and a late approval is refused.
  auto third = parse(rig.post(port, "/api/v1/services/web/actions/restart", {{"confirm", true}}));
  const long long expiring = third["repair"]["id"].get<long long>();
  REQUIRE(waitUntil(
      [&] {
        return parse(httpGet(port, "/api/v1/repairs/" + std::to_string(expiring)))["status"] ==
               "expired";
      },
      15s));
  CHECK(rig.post(port, "/api/v1/approvals/" + std::to_string(expiring) + "/approve").status == 409);
  CHECK(count(rig.db, "SELECT count(*) FROM audit_log WHERE action = 'repair.expire'") == 1);
  CHECK(linesOf(rig.out).size() == 1);
  rig.checkAuditBeforeEachExecution();
}

TEST_CASE("repair: quick actions recheck, diagnose and logs go through the service's agent",
          "[hub][integration][repair]") {
  Rig rig("repair_quick");
  auto& hub = rig.startHub("hub-repair-quick");
  rig.startAgent();
  const int port = hub.port();
  auto recheck = rig.post(port, "/api/v1/services/web/actions/recheck");
  INFO(recheck.body);
  REQUIRE(recheck.status == 200);
  auto results = parse(recheck)["results"];
  REQUIRE(results.size() == 1);
  CHECK(results[0]["check"] == "web-exec");
  CHECK(results[0]["status"] == "healthy");
  auto diagnose = parse(rig.post(port, "/api/v1/services/web/actions/diagnose"));
  REQUIRE(diagnose["results"].size() == 1);
  CHECK(diagnose["results"][0]["details"].contains("diagnose.timeout"));
  auto logs = httpGet(port, "/api/v1/services/web/logs?lines=3");
  INFO(logs.body);
  REQUIRE(logs.status == 200);
  CHECK(parse(logs)["lines"] == json::array({"web line 18", "web line 19", "web line 20"}));
  CHECK(httpGet(port, "/api/v1/services/web/logs?lines=5000").status == 400);
  CHECK(rig.post(port, "/api/v1/services/nope/actions/restart", {{"confirm", true}}).status == 404);
}

TEST_CASE(
    "repair chaos: two hubs, a killed hub, duplicated requests and concurrent approvals "
    "give 0 unapproved and 0 over-cooldown executions",
    "[hub][integration][repair]") {
  Rig rig("repair_chaos");
  auto& a = rig.startHub("hub-chaos-a");
  auto& b = rig.startHub("hub-chaos-b");
  rig.startAgent();
  const int pa = a.port();
  const int pb = b.port();
  REQUIRE(rig.put(pa, "/api/v1/policies/web", policyBody(true, 3600)).status / 100 == 2);

  // Phase 1: transitions seen by both hubs, quick restarts hammered on both, hub A killed with
  // SIGKILL mid-way (its unacked batches are redelivered to B) and started again.
  std::atomic<bool> stop{false};
  std::atomic<int> restart_started{0};
  std::vector<std::thread> spam;
  for (int i = 0; i < 4; ++i) {
    spam.emplace_back([&, i] {
      while (!stop) {
        const int port = (i % 2 == 0) ? pa : pb;
        auto r = rig.post(port, "/api/v1/services/web/actions/restart", {{"confirm", true}});
        if (r.status == 202) {
          ++restart_started;
        }
        std::this_thread::sleep_for(100ms);  // a steady stream, not a load test
      }
    });
  }
  rig.flap(pb);
  a.process().signal(SIGKILL);
  a.process().waitExit(5000);
  rig.flap(pb);
  rig.flap(pb);
  stop = true;
  for (auto& t : spam) {
    t.join();
  }
  auto& a2 = rig.startHub("hub-chaos-a2");
  rig.flap(a2.port());
  REQUIRE(waitUntil([&] { return linesOf(rig.out).size() >= 1; }, 15s));
  // Duplicated agent requests: the executed repair's request id, sent again straight to the
  // agent, is answered from its memory (DUPLICATE) and runs nothing.
  const std::string request_id =
      scalar(rig.db, "SELECT request_id FROM auto_repairs WHERE status = 'succeeded' LIMIT 1");
  REQUIRE_FALSE(request_id.empty());
  nats::ConnectOptions o;
  o.url = rig.fx.nats_url;
  o.name = "repair-chaos-test";
  auto bus = nats::Connection::connect(o);
  REQUIRE(bus.ok());
  for (int i = 0; i < 3; ++i) {
    pb::CommandRequest req;
    req.set_request_id(request_id);
    req.set_agent_id(rig.agent_id);
    req.set_verb(pb::COMMAND_VERB_RUN_ACTION);
    req.set_action("restart-web");
    auto reply = (*bus)->request(subjects::command(rig.agent_id, "run-action"),
                                 req.SerializeAsString(), 10s);
    REQUIRE(reply.ok());
    pb::CommandReply r;
    REQUIRE(r.ParseFromString(reply.value()));
    CHECK(r.outcome() == pb::COMMAND_OUTCOME_DUPLICATE);
  }
  // Over-cooldown executions: 0 (one cooldown of an hour spans the whole phase).
  CHECK(linesOf(rig.out).size() == 1);
  CHECK(restart_started <= 1);
  CHECK(count(rig.db, "SELECT count(*) FROM auto_repairs WHERE started_at IS NOT NULL") == 1);

  // Phase 2: approvals required, no cooldown; three pending repairs, each approved by six
  // concurrent callers spread over both live hubs.
  const int pc = a2.port();
  REQUIRE(rig.put(pb, "/api/v1/policies/web", policyBody(false, 0, true)).status == 200);
  int executed_before = static_cast<int>(linesOf(rig.out).size());
  for (int round = 0; round < 3; ++round) {
    auto pending =
        rig.post(round % 2 ? pb : pc, "/api/v1/services/web/actions/restart", {{"confirm", true}});
    INFO(pending.body);
    REQUIRE(pending.status == 202);
    const long long id = parse(pending)["repair"]["id"].get<long long>();
    CHECK(linesOf(rig.out).size() == static_cast<std::size_t>(executed_before));  // unapproved: 0
    std::atomic<int> won{0};
    std::vector<std::thread> approvers;
    for (int i = 0; i < 6; ++i) {
      approvers.emplace_back([&, i] {
        auto r = rig.post(i % 2 ? pb : pc, "/api/v1/approvals/" + std::to_string(id) + "/approve");
        if (r.status == 202 || r.status == 200) {
          ++won;
        }
      });
    }
    for (auto& t : approvers) {
      t.join();
    }
    CHECK(won == 1);
    ++executed_before;
    REQUIRE(waitUntil(
        [&] { return linesOf(rig.out).size() == static_cast<std::size_t>(executed_before); }, 15s));
  }
  CHECK(linesOf(rig.out).size() == 4);
  // Unapproved executions: 0. The only started repair without an approver is phase 1's (its
  // policy required none); the three of phase 2 were each approved once.
  CHECK(count(rig.db, "SELECT count(*) FROM auto_repairs WHERE started_at IS NOT NULL") == 4);
  CHECK(count(rig.db,
              "SELECT count(*) FROM auto_repairs WHERE started_at IS NOT NULL AND "
              "decided_by IS NOT NULL AND status = 'succeeded'") == 3);
  rig.checkAuditBeforeEachExecution();
}

TEST_CASE("repair: the global rate limit holds across two hubs under concurrent restarts",
          "[hub][integration][repair]") {
  Rig rig("repair_rate");
  auto& a = rig.startHub("hub-rate-a", "  rate_limit: 1\n");
  auto& b = rig.startHub("hub-rate-b", "  rate_limit: 1\n");
  rig.startAgent();
  // No cooldown: only the rate limit (counted in the guard transaction, under an advisory lock)
  // can hold the concurrent restarts back.
  REQUIRE(rig.put(a.port(), "/api/v1/policies/web", policyBody(false, 0)).status == 201);
  std::atomic<int> started{0}, held{0};
  std::mutex other_mu;
  std::vector<std::string> other;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = rig.post(i % 2 ? a.port() : b.port(), "/api/v1/services/web/actions/restart",
                        {{"confirm", true}});
      if (r.status == 202) {
        ++started;
      } else if (r.status == 409 && r.body.find("rate limit") != std::string::npos) {
        ++held;
      } else {
        std::lock_guard lock(other_mu);
        other.push_back(std::to_string(r.status) + " " + r.body);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (const auto& o : other) {
    WARN(o);
  }
  CHECK(started == 1);
  CHECK(held == 7);
  REQUIRE(waitUntil([&] { return linesOf(rig.out).size() == 1; }, 15s));
  CHECK(count(rig.db, "SELECT count(*) FROM auto_repairs WHERE started_at IS NOT NULL") == 1);
  rig.checkAuditBeforeEachExecution();
}

TEST_CASE(
    "repair: a repair that does not fix the service is verified as such, and the incident "
    "is escalated to the alert channels once max attempts are used",
    "[hub][integration][repair]") {
  Rig rig("repair_escalate");
  writeFile(rig.dir + "/secret", "s3cret\n");
  auto& hub = rig.startHub("hub-repair-escalate",
                           "  notify_channels: [ops]\nnotify:\n  channels:\n    ops:\n"
                           "      type: webhook\n      url: \"http://127.0.0.1:1/hook\"\n"
                           "      secret_file: " +
                               rig.dir + "/secret\n");
  rig.startAgent();
  const int port = hub.port();
  json body = policyBody(true, 0);
  body["max_attempts"] = 1;
  body["verify_after_seconds"] = 1;
  REQUIRE(rig.put(port, "/api/v1/policies/web", body).status == 201);
  // Down and staying down: the action runs, changes nothing, and the verification says so.
  writeFile(rig.state_file, "2\n");
  REQUIRE(waitUntil([&] { return linesOf(rig.out).size() == 1; }, 15s));
  REQUIRE(waitUntil(
      [&] {
        return count(rig.db, "SELECT count(*) FROM auto_repairs WHERE verified IS FALSE") == 1;
      },
      15s));
  // The failed verification decides again: one attempt per incident is used up -> escalated,
  // audited, and a notification for the channel is in the outbox.
  REQUIRE(waitUntil(
      [&] {
        return count(rig.db, "SELECT count(*) FROM auto_repairs WHERE status = 'escalated'") == 1;
      },
      15s));
  CHECK(count(rig.db, "SELECT count(*) FROM audit_log WHERE action = 'repair.escalate'") == 1);
  CHECK(count(rig.db,
              "SELECT count(*) FROM notification_outbox WHERE channel = 'ops' AND "
              "idempotency_key LIKE 'repair-%:repair-escalated:ops'") == 1);
  CHECK(linesOf(rig.out).size() == 1);
  rig.checkAuditBeforeEachExecution();
}

// Inbound events take the same guarded path as repairs and quick actions (one guard per
// (agent, action), one rate limit, approvals, one audit shape).
namespace {

std::string eventRules(const std::string& path, const std::string& cooldown) {
  writeFile(path,
            "rules:\n  - name: web-oom\n    event_type: web.oom\n    target: web\n"
            "    action: restart-web\n    cooldown: " +
                cooldown + "\n");
  return "events:\n  rules_file: " + path + "\n";
}

const json kOomEvent = {{"event_type", "web.oom"}, {"target", "web"}};

}  // namespace

TEST_CASE("repair: a repair and an event for the same (agent, action) within the cooldown run once",
          "[hub][integration][repair][events]") {
  Rig rig("repair_event_once");
  auto& hub = rig.startHub("hub-repair-event", eventRules(rig.dir + "/rules.yaml", "1h"));
  rig.startAgent();
  const int port = hub.port();
  auto put = rig.put(port, "/api/v1/policies/web", policyBody(true, 3600));
  INFO(put.body);
  REQUIRE((put.status == 200 || put.status == 201));

  SECTION("the repair first: the event within the cooldown runs nothing") {
    rig.flap(port);
    REQUIRE(waitUntil([&] { return linesOf(rig.out).size() == 1; }, 15s));
    auto event = rig.post(port, "/api/v1/events", kOomEvent);
    INFO(event.body);
    REQUIRE(event.status == 200);
    CHECK(parse(event)["outcome"] == "rejected");
    CHECK(parse(event)["detail"].get<std::string>().find("cooldown") != std::string::npos);
  }
  SECTION("the event first: the repair and a quick action within the cooldown run nothing") {
    auto event = rig.post(port, "/api/v1/events", kOomEvent);
    INFO(event.body);
    REQUIRE(event.status == 200);
    CHECK(parse(event)["outcome"] == "ok");
    REQUIRE(linesOf(rig.out).size() == 1);
    rig.flap(port);
    REQUIRE(waitUntil(
        [&] {
          return count(rig.db,
                       "SELECT count(*) FROM auto_repairs WHERE trigger = 'transition' AND "
                       "status = 'skipped' AND reasons::text LIKE '%cooldown%'") >= 1;
        },
        15s));
    auto quick = rig.post(port, "/api/v1/services/web/actions/restart", {{"confirm", true}});
    INFO(quick.body);
    CHECK(quick.status == 409);
  }
  CHECK(linesOf(rig.out).size() == 1);
  CHECK(count(rig.db, "SELECT count(*) FROM auto_repairs WHERE status = 'succeeded'") == 1);
  rig.checkAuditBeforeEachExecution();
}

TEST_CASE("repair: an event for an action whose policy needs approval waits for it",
          "[hub][integration][repair][events]") {
  Rig rig("repair_event_approval");
  auto& hub = rig.startHub("hub-repair-event-approval",
                           "  approval_expiry: 3s\n" + eventRules(rig.dir + "/rules.yaml", "0s"));
  rig.startAgent();
  const int port = hub.port();
  auto put = rig.put(port, "/api/v1/policies/web", policyBody(false, 0, true));
  REQUIRE((put.status == 200 || put.status == 201));

  auto pendingEvent = [&] {
    auto event = rig.post(port, "/api/v1/events", kOomEvent);
    INFO(event.body);
    REQUIRE(event.status == 200);
    CHECK(parse(event)["outcome"] == "pending-approval");
    return parse(event)["result"]["repair_id"].get<long long>();
  };
  // Approved: it runs once.
  const long long id = pendingEvent();
  CHECK(linesOf(rig.out).empty());
  auto approvals = parse(httpGet(port, "/api/v1/approvals"));
  REQUIRE(approvals["approvals"].size() == 1);
  CHECK(approvals["approvals"][0]["id"] == id);
  CHECK(approvals["approvals"][0]["trigger"] == "event");
  auto approve = rig.post(port, "/api/v1/approvals/" + std::to_string(id) + "/approve");
  INFO(approve.body);
  CHECK(approve.status == 202);
  REQUIRE(waitUntil([&] { return linesOf(rig.out).size() == 1; }, 15s));
  REQUIRE(waitUntil(
      [&] {
        return parse(httpGet(port, "/api/v1/repairs/" + std::to_string(id)))["status"] ==
               "succeeded";
      },
      15s));
  // Rejected: nothing runs.
  const long long rejected = pendingEvent();
  CHECK(rig.post(port, "/api/v1/approvals/" + std::to_string(rejected) + "/reject").status == 200);
  // Expired: nothing runs.
  const long long expiring = pendingEvent();
  REQUIRE(waitUntil(
      [&] {
        return parse(httpGet(port, "/api/v1/repairs/" + std::to_string(expiring)))["status"] ==
               "expired";
      },
      15s));
  CHECK(linesOf(rig.out).size() == 1);
  CHECK(count(rig.db, "SELECT count(*) FROM audit_log WHERE action = 'event.accept'") == 3);
  rig.checkAuditBeforeEachExecution();
}

TEST_CASE(
    "repair: an operator runs a named action of the service's agent once per cooldown, and "
    "an action no agent offers is refused",
    "[hub][integration][repair]") {
  Rig rig("repair_named");
  auto& hub = rig.startHub("hub-named-1");
  rig.startAgent();
  const int port = hub.port();
  REQUIRE(waitUntil(
      [&] { return count(rig.db, "SELECT count(*) FROM agents WHERE actions ? 'flush-web'") == 1; },
      15s));
  REQUIRE(rig.put(port, "/api/v1/policies/web", policyBody(false, 3600)).status / 100 == 2);

  const std::string path = "/api/v1/services/web/actions/run";
  const auto first = rig.post(port, path, {{"confirm", true}, {"action", "flush-web"}});
  INFO(first.body);
  CHECK(first.status == 202);
  const std::string flushed = rig.dir + "/flush.txt";
  REQUIRE(waitUntil([&] { return linesOf(flushed).size() == 1; }, 15s));

  // The policy's cooldown (1 h) holds for this (agent, action) too.
  const auto again = rig.post(port, path, {{"confirm", true}, {"action", "flush-web"}});
  INFO(again.body);
  CHECK(again.status == 409);
  const auto missing = rig.post(port, path, {{"confirm", true}, {"action", "no-such-action"}});
  CHECK(missing.status == 409);
  CHECK_THAT(missing.body, Catch::Contains("offers"));
  CHECK(rig.post(port, path, {{"confirm", true}, {"action", "../etc"}}).status == 400);
  CHECK(rig.post(port, path, {{"confirm", true}}).status == 400);
  CHECK(rig.post(port, path, {{"action", "flush-web"}}).status == 400);
  CHECK(rig.post(port, "/api/v1/services/nope/actions/run",
                 {{"confirm", true}, {"action", "flush-web"}})
            .status == 404);
  std::this_thread::sleep_for(1s);
  CHECK(linesOf(flushed).size() == 1);
  CHECK(count(rig.db,
              "SELECT count(*) FROM auto_repairs WHERE action = 'flush-web' AND "
              "trigger = 'manual'") >= 2);
}
