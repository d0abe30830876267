#pragma once
// What the CTest fixture (tests/fixtures/services.sh) started, read from
// $VITALS_TEST_RUN/fixture.env, plus helpers integration tests share.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace vitals::test {

struct Fixture {
  std::string run_dir;
  std::string nats_url;
  int nats_port = 0;
  int nats_monitor_port = 0;
  std::string nats_conf;
  int pg_port = 0;
  std::string pg_conninfo;  // admin database "vitals"
  int redis_port = 0;
  std::string bin_dir = VITALS_BIN_DIR;

  // Throws with a clear message when the fixture is not running.
  static Fixture load();
  // A fresh, empty database for one test; returns its conninfo.
  std::string freshDatabase(const std::string& name) const;
  // A directory for one test's files (configs, logs), emptied first.
  std::string workDir(const std::string& name) const;
};

int freeTcpPort();
// Polls cond every 50 ms until it is true or timeout passes; returns the final value. Integration
// tests wait for events this way; they never assert on how long something took.
bool waitUntil(const std::function<bool()>& cond, std::chrono::milliseconds timeout);
void writeFile(const std::string& path, const std::string& text);
std::string readFile(const std::string& path);
// GET http://127.0.0.1:port/path -> status and body (status -1 when unreachable).
struct HttpReply {
  int status = -1;
  std::string body;
  std::map<std::string, std::string> headers;  // last value of each header
};
// Sends the API key registered for the port (setApiKey; HubProcess does it), if any.
HttpReply httpGet(int port, const std::string& path);
// Any method; key: nullopt = the port's registered key, "" = no Authorization header.
HttpReply httpRequest(int port, const std::string& method, const std::string& path,
                      const std::string& body = "",
                      const std::optional<std::string>& key = std::nullopt);
// The API key sent to the hub on `port` by default (HubProcess registers its admin key).
void setApiKey(int port, const std::string& key);
std::string apiKey(int port);
// Reads one counter/gauge from a Prometheus text body (-1 when absent).
double metricValue(const std::string& metrics_text, const std::string& series);

}  // namespace vitals::test
