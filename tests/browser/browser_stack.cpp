// Starts a real stack for the dashboard's browser tests and runs a node script against it:
// the fixture's nats-server and PostgreSQL (tests/fixtures/services.sh), a vitals-hub with
// admin, operator and readonly keys, and a small control server through which the script makes
// services change (check results published on NATS as an agent would).
//
//   browser_stack <script.mjs> [args...]
//
// The script gets VITALS_HUB_URL, VITALS_KEY_{ADMIN,OPERATOR,READONLY}, VITALS_CONTROL_URL and
// VITALS_BROWSER_OUT (a directory for screenshots). Control endpoints (POST, query parameters):
//   /result?service=S&status=healthy|degraded|down|unknown   one result for S's check
//   /seed?count=N&prefix=P                                   N healthy services P0..P(N-1)
//   /pending?service=S     a repair of S waiting for approval, as the repair engine records one
//                          (the pretend agent offers no actions, so the hub would refuse to ask)
// Every service's last status is published again every 10 s, so the pretend agent stays alive.
// Exit code: the script's; 77 (skipped) when node, chromium or the npm packages are missing.
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "common/model/codec.hpp"
#include "common/nats/nats_client.hpp"
#include "common/nats/subjects.hpp"
#include "tests/support/fixture.hpp"
#include "tests/support/pg_query.hpp"
#include "tests/support/stack.hpp"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kAgent = "browser-agent";

class PretendAgent {
 public:
  explicit PretendAgent(const Fixture& fx) {
    nats::ConnectOptions o;
    o.url = fx.nats_url;
    o.name = "browser-stack";
    auto c = nats::Connection::connect(o);
    if (!c.ok()) {
      throw std::runtime_error("cannot connect to NATS: " + c.error().describe());
    }
    conn_ = std::move(c).value();
    waitUntil([&] { return conn_->connected(); }, 10s);
  }

  // Sets the statuses and publishes them in batches; false when NATS did not acknowledge.
  bool set(const std::vector<std::pair<std::string, HealthStatus>>& changes) {
    std::lock_guard lock(mu_);
    for (const auto& [service, status] : changes) {
      statuses_[service] = status;
    }
    return publishLocked(changes);
  }
  bool republishAll() {
    std::lock_guard lock(mu_);
    std::vector<std::pair<std::string, HealthStatus>> all(statuses_.begin(), statuses_.end());
    return publishLocked(all);
  }

 private:
  bool publishLocked(const std::vector<std::pair<std::string, HealthStatus>>& changes) {
    for (std::size_t start = 0; start < changes.size(); start += 500) {
      ResultBatch b{kAgent, boot_, {}};
      for (std::size_t i = start; i < std::min(changes.size(), start + 500); ++i) {
        const auto& [service, status] = changes[i];
        CheckResult r;
        r.agent_id = kAgent;
        r.boot_id = boot_;
        r.seq = ++seq_;
        r.service = service;
        r.check = service + "-http";
        r.kind = "http";
        r.status = status;
        r.raw_status = status;
        r.latency = std::chrono::microseconds{1200 + static_cast<long>(seq_ % 900)};
        r.message = status == HealthStatus::Healthy ? "HTTP 200" : "connection refused";
        if (status != HealthStatus::Healthy) {
          r.failure_kind = FailureKind::Refused;
        }
        r.observed_at = std::chrono::system_clock::now();
        b.results.push_back(std::move(r));
      }
      bool ok = false;
      for (int attempt = 0; attempt < 20 && !ok; ++attempt) {
        ok = conn_
                 ->jsPublish(subjects::agentResults(kAgent), codec::encodeBatch(b),
                             codec::batchMessageId(b), 5s)
                 .ok();
      }
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  std::unique_ptr<nats::Connection> conn_;
  std::mutex mu_;
  std::string boot_ = "boot-" + std::to_string(::getpid());
  std::uint64_t seq_ = 0;
  std::map<std::string, HealthStatus> statuses_;
};

bool haveCommand(const std::string& cmd) {
  return std::system(("command -v " + cmd + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: browser_stack <script.mjs> [args...]\n";
    return 2;
  }
  const std::filesystem::path script = std::filesystem::absolute(argv[1]);
  const auto modules = script.parent_path() / "node_modules";
  if (!haveCommand("node") || !haveCommand("chromium") ||
      !std::filesystem::exists(modules / "playwright-core") ||
      !std::filesystem::exists(modules / "axe-core")) {
    std::cerr << "browser_stack: skipped: needs node, chromium and `npm ci` in "
              << script.parent_path().string() << " (scripts/deps installs them)\n";
    return 77;
  }
  try {
    const auto fx = Fixture::load();
    resetStream(fx);
    const auto dir = fx.workDir("browser-" + script.stem().string());
    HubOptions ho;
    ho.hub_id = "hub-browser";
    ho.db_conninfo = fx.freshDatabase("browser");
    ho.http_port = freeTcpPort();
    ho.extra_yaml =
        "repair:\n  sweep_interval: 200ms\n  command_timeout: 2s\n"
        "preflight:\n  interval: 1m\n  publish_interval: 1s\n  not_ready_interval: 1s\n"
        "  checks:\n"
        "    - {name: database, kind: database_reachable}\n"
        "    - {name: workers, kind: agents_online, min: 3}\n"
        "    - {name: clocks, kind: clock_skew, required: false}\n";
    HubProcess hub(fx, dir, ho);
    if (!hub.waitReady(30s)) {
      std::cerr << "browser_stack: the hub did not become ready:\n" << hub.log() << "\n";
      return 1;
    }
    const auto operator_key = createApiKey(fx, hub.configPath(), dir, "operator", "browser-op");
    const auto readonly_key = createApiKey(fx, hub.configPath(), dir, "readonly", "browser-ro");
    if (hub.adminKey().empty() || operator_key.empty() || readonly_key.empty()) {
      std::cerr << "browser_stack: could not create the API keys (see " << dir << ")\n";
      return 1;
    }

    PretendAgent agent(fx);
    httplib::Server control;
    control.Post("/result", [&](const httplib::Request& req, httplib::Response& res) {
      const auto service = req.get_param_value("service");
      const auto text = req.get_param_value("status");
      const auto status = parseHealthStatus(text);
      if (service.empty() || !status) {
        res.status = 400;
        res.set_content("service= and status=healthy|degraded|down|unknown", "text/plain");
        return;
      }
      res.status = agent.set({{service, *status}}) ? 200 : 503;
    });
    control.Post("/seed", [&](const httplib::Request& req, httplib::Response& res) {
      const int count = std::atoi(req.get_param_value("count").c_str());
      const auto prefix = req.get_param_value("prefix");
      if (count <= 0 || count > 20000 || prefix.empty()) {
        res.status = 400;
        res.set_content("count=1..20000 and prefix=", "text/plain");
        return;
      }
      std::vector<std::pair<std::string, HealthStatus>> all;
      for (int i = 0; i < count; ++i) {
        all.emplace_back(prefix + std::to_string(i), HealthStatus::Healthy);
      }
      res.status = agent.set(all) ? 200 : 503;
    });
    control.Post("/pending", [&](const httplib::Request& req, httplib::Response& res) {
      const auto service = req.get_param_value("service");
      if (service.empty() || service.find('\'') != std::string::npos) {
        res.status = 400;
        return;
      }
      const auto id = scalar(ho.db_conninfo,
                             "INSERT INTO auto_repairs (service, agent_id, action, trigger, "
                             "decision, status, requested_by, expires_at, created_at) VALUES ('" +
                                 service +
                                 "', 'browser-agent', 'restart-" + service +
                                 "', 'manual', 'needs approval', 'pending', 'key:2', "
                                 "now() + interval '10 minutes', now()) RETURNING id");
      res.set_content("{\"id\":" + id + "}", "application/json");
    });
    const int control_port = control.bind_to_any_port("127.0.0.1");
    std::thread control_thread([&] { control.listen_after_bind(); });
    std::atomic<bool> done{false};
    std::thread keepalive([&] {
      for (int tick = 0; !done; ++tick) {
        std::this_thread::sleep_for(200ms);
        if (tick % 50 == 49) {
          (void)agent.republishAll();
        }
      }
    });

    const auto out_dir = dir + "/out";
    std::filesystem::create_directories(out_dir);
    ::setenv("VITALS_HUB_URL", ("http://127.0.0.1:" + std::to_string(hub.port())).c_str(), 1);
    ::setenv("VITALS_KEY_ADMIN", hub.adminKey().c_str(), 1);
    ::setenv("VITALS_KEY_OPERATOR", operator_key.c_str(), 1);
    ::setenv("VITALS_KEY_READONLY", readonly_key.c_str(), 1);
    ::setenv("VITALS_CONTROL_URL", ("http://127.0.0.1:" + std::to_string(control_port)).c_str(), 1);
    if (std::getenv("VITALS_BROWSER_OUT") == nullptr) {
      ::setenv("VITALS_BROWSER_OUT", out_dir.c_str(), 1);
    }
    std::vector<std::string> node_argv{"/usr/bin/env", "node", script.string()};  // execv: no PATH
    for (int i = 2; i < argc; ++i) {
      node_argv.emplace_back(argv[i]);
    }
    ChildProcess node(node_argv, dir + "/node.log", fx.run_dir + "/pids");
    const int code = node.waitExit(540000);
    std::cout << node.log() << std::flush;
    done = true;
    keepalive.join();
    control.stop();
    control_thread.join();
    if (code != 0) {
      std::cerr << "browser_stack: the script failed (exit " << code << "); hub log: " << dir
                << "/hub.log\n";
      return code > 0 && code != 77 ? code : 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "browser_stack: " << e.what() << "\n";
    return 1;
  }
}
