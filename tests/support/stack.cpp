#include "tests/support/stack.hpp"

#include <signal.h>

#include <sstream>

#include "common/nats/nats_client.hpp"

namespace vitals::test {

std::string writeHubConfig(const Fixture& fx, const std::string& dir, const HubOptions& o) {
  const std::string path = dir + "/hub.yaml";
  writeFile(path, "hub_id: " + o.hub_id + "\n" + "nats:\n  url: " + fx.nats_url + "\n" +
                      "database:\n  url: \"" + o.db_conninfo + "\"\n" +
                      "http:\n  listen: \"127.0.0.1:" + std::to_string(o.http_port) + "\"\n" +
                      "ingest:\n  batch_size: " + std::to_string(o.batch_size) + "\n" +
                      "  fetch_timeout: " + o.fetch_timeout + "\n  ack_wait: 5s\n" +
                      (o.max_delay.empty() ? "" : "  max_delay: " + o.max_delay + "\n") +
                      "log:\n  level: info\n  format: text\n" + o.extra_yaml);
  return path;
}

std::string createApiKey(const Fixture& fx, const std::string& config_path, const std::string& dir,
                         const std::string& role, const std::string& name,
                         const std::string& expires) {
  std::vector<std::string> argv{fx.bin_dir + "/vitals-hub",
                                "keys",
                                "create",
                                "--role",
                                role,
                                "--name",
                                name,
                                "--config",
                                config_path};
  if (!expires.empty()) {
    argv.push_back("--expires");
    argv.push_back(expires);
  }
  const std::string log = dir + "/keys-create-" + std::to_string(freeTcpPort()) + ".log";
  ChildProcess tool(argv, log, fx.run_dir + "/pids");
  if (tool.waitExit(30000) != 0) {
    return {};
  }
  // The key is alone on its line (stdout); the details went to stderr, into the same log.
  std::istringstream lines(tool.log());
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("vk_", 0) == 0 && line.size() == 46) {
      return line;
    }
  }
  return {};
}

HubProcess::HubProcess(const Fixture& fx, const std::string& dir, const HubOptions& o)
    : config_path_(writeHubConfig(fx, dir, o)), port_(o.http_port) {
  if (o.create_admin_key) {
    admin_key_ = createApiKey(fx, config_path_, dir, "admin", "test-admin");
    setApiKey(port_, admin_key_);
  }
  proc_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{fx.bin_dir + "/vitals-hub", "--config", config_path_},
      dir + "/hub.log", fx.run_dir + "/pids");
}

bool HubProcess::waitReady(std::chrono::milliseconds timeout) {
  return waitUntil([&] { return proc_->running() && httpGet(port_, "/readyz").status == 200; },
                   timeout);
}

AgentProcess::AgentProcess(const Fixture& fx, const std::string& dir, const std::string& agent_id,
                           const std::string& checks_yaml) {
  const std::string path = dir + "/agent-" + agent_id + ".yaml";
  writeFile(path, "agent_id: " + agent_id + "\n" + "nats:\n  url: " + fx.nats_url + "\n" +
                      "heartbeat_interval: 2s\n" + "log:\n  level: info\n  format: text\n" +
                      "publish:\n  max_delay: 50ms\n" + "checks:\n" + checks_yaml);
  proc_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{fx.bin_dir + "/vitals-agent", "--config", path},
      dir + "/agent-" + agent_id + ".log", fx.run_dir + "/pids");
}

void resetStream(const Fixture& fx) {
  nats::ConnectOptions o;
  o.url = fx.nats_url;
  auto conn = nats::Connection::connect(o);
  if (!conn.ok()) {
    return;
  }
  waitUntil([&] { return conn.value()->connected(); }, std::chrono::seconds{5});
  (void)conn.value()->deleteStream("VITALS");
}

bool stopNats(const Fixture& fx) {
  const int pid = std::stoi(readFile(fx.run_dir + "/nats/nats.pid"));
  ::kill(pid, SIGTERM);
  return waitUntil([&] { return httpGet(fx.nats_monitor_port, "/healthz").status == -1; },
                   std::chrono::seconds{10});
}

bool startNats(const Fixture& fx) {
  ChildProcess starter({"/bin/sh", "-c",
                        "setsid nats-server -c " + fx.nats_conf + " -l " + fx.run_dir +
                            "/nats/nats.log </dev/null >/dev/null 2>&1 &"},
                       fx.run_dir + "/nats/restart.log");
  starter.waitExit(5000);
  return waitUntil(
      [&] { return httpGet(fx.nats_monitor_port, "/healthz?js-enabled-only=true").status == 200; },
      std::chrono::seconds{15});
}

}  // namespace vitals::test
