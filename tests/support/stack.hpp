#pragma once
// Starting vitals-hub and vitals-agent as real processes against the fixture servers.
#include <memory>
#include <string>
#include <vector>

#include "tests/support/fixture.hpp"
#include "tests/support/process.hpp"

namespace vitals::test {

struct HubOptions {
  std::string hub_id = "hub-test";
  std::string db_conninfo;
  int http_port = 0;
  int batch_size = 500;
  std::string fetch_timeout = "200ms";  // ingest.fetch_timeout
  std::string max_delay;                // ingest.max_delay; empty = the hub's default
  std::string extra_yaml;               // appended verbatim
  // Create an admin API key with `vitals-hub keys create` before the hub starts and register
  // it for http_port, so httpGet/httpRequest send it (api.auth is required by default).
  bool create_admin_key = true;
};

// Runs `vitals-hub keys create --role ROLE --name NAME [--expires E] --config FILE`; returns the
// key, or "" (the tool's output is in <dir>/keys-create-*.log) when it failed.
std::string createApiKey(const Fixture& fx, const std::string& config_path, const std::string& dir,
                         const std::string& role, const std::string& name,
                         const std::string& expires = "");

// Writes <dir>/hub.yaml and returns its path.
std::string writeHubConfig(const Fixture& fx, const std::string& dir, const HubOptions& o);

class HubProcess {
 public:
  HubProcess(const Fixture& fx, const std::string& dir, const HubOptions& o);
  // Waits for /readyz to answer 200; false (and the log is in log()) otherwise.
  bool waitReady(std::chrono::milliseconds timeout);
  ChildProcess& process() { return *proc_; }
  int port() const { return port_; }
  std::string log() const { return proc_->log(); }
  const std::string& configPath() const { return config_path_; }
  // The admin key created for this hub ("" when create_admin_key was false or creation failed).
  const std::string& adminKey() const { return admin_key_; }

 private:
  std::string config_path_;
  int port_;
  std::string admin_key_;
  std::unique_ptr<ChildProcess> proc_;
};

class AgentProcess {
 public:
  // checks_yaml: the `checks:` list body (already indented by two spaces).
  AgentProcess(const Fixture& fx, const std::string& dir, const std::string& agent_id,
               const std::string& checks_yaml);
  ChildProcess& process() { return *proc_; }
  std::string log() const { return proc_->log(); }

 private:
  std::unique_ptr<ChildProcess> proc_;
};

// Removes the VITALS stream so a test starts with an empty bus.
void resetStream(const Fixture& fx);

// Stops the fixture's nats-server (SIGTERM) and waits until it is gone; false if it stays up.
bool stopNats(const Fixture& fx);
// Starts it again with the same config and store; false if JetStream is not healthy in 15 s.
bool startNats(const Fixture& fx);

}  // namespace vitals::test
