// Probe kinds against real peers this test starts itself on 127.0.0.1 (ports from the OS), real
// child processes and real files under a temp directory. Tagged [integration]: real time, but
// each case takes well under a second.
#include <httplib.h>
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/probe/disk_probe.hpp"
#include "agent/probe/exec_probe.hpp"
#include "agent/probe/heartbeat_listener.hpp"
#include "agent/probe/http_probe.hpp"
#include "agent/probe/log_probe.hpp"
#include "agent/probe/scan_probe.hpp"
#include "agent/probe/systemd_probe.hpp"
#include "agent/probe/tcp_probe.hpp"
#include "agent/config/config_loader.hpp"
#include "agent/runtime/asio_work_queue.hpp"
#include "common/asio/asio.hpp"
#include "tests/unit/agent/fakes/test_logger.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace vitals::agent::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

ProbeOutcome runOnce(Probe& probe, boost::asio::io_context& io, std::chrono::milliseconds timeout) {
  std::optional<ProbeOutcome> out;
  io.restart();
  auto guard = boost::asio::make_work_guard(io);
  probe.run(timeout, [&](ProbeOutcome o) {
    out = std::move(o);
    guard.reset();
  });
  io.run_for(10s);
  REQUIRE(out.has_value());
  return *out;
}

// A fresh directory for one test case.
std::string tempDir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() /
                       ("vitals-probe-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

void append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app);
  out << text;
}

// 'R' running, 'Z' zombie, 0 gone (PID 1 reaps orphans lazily here: a zombie is dead).
char processState(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) {
    return 0;
  }
  const auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? 0 : stat[close + 2];
}

bool eventually(const std::function<bool()>& cond) {
  for (int i = 0; i < 100; ++i) {
    if (cond()) {
      return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  return cond();
}

int run(const std::string& cmd) { return std::system(cmd.c_str()); }

}  // namespace

TEST_CASE("exec: a plugin's exit code, message and perfdata, output is capped",
          "[agent][integration][probe]") {
  boost::asio::io_context io;
  SystemClock clock;
  AsioWorkQueue queue(io, 2, "probe", quietLogger());

  ExecCheckSpec warn;
  warn.argv = {"sh", "-c", "echo \"LOAD WARNING - $LEVEL | load1=4.2;4;8\"; exit 1"};
  warn.env = {{"LEVEL", "4.2"}};
  auto probe = makeExecProbe(warn, clock, queue);
  auto o = runOnce(*probe, io, 2s);
  CHECK(o.raw_status == HealthStatus::Degraded);
  CHECK(o.message == "LOAD WARNING - 4.2");
  CHECK(o.details["perfdata"] == "load1=4.2;4;8");

  ExecCheckSpec cwd;
  cwd.argv = {"pwd"};
  cwd.working_dir = "/tmp";
  o = runOnce(*makeExecProbe(cwd, clock, queue), io, 2s);
  CHECK(o.raw_status == HealthStatus::Healthy);
  CHECK(o.message == "/tmp");

  ExecCheckSpec chatty;
  chatty.argv = {"sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x; exit 2"};
  chatty.max_output = 4096;
  o = runOnce(*makeExecProbe(chatty, clock, queue), io, 2s);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message.size() == 4096);
  CHECK(o.details["output_truncated"] == "true");

  ExecCheckSpec missing;
  missing.argv = {"/nonexistent/check_thing"};
  o = runOnce(*makeExecProbe(missing, clock, queue), io, 2s);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK_THAT(o.message, Catch::Contains("No such file or directory"));
}

TEST_CASE("scan: stdout is the report, stderr the reason, and 50 MB of output is cut, not kept",
          "[agent][integration][probe][scan]") {
  boost::asio::io_context io;
  SystemClock clock;
  AsioWorkQueue queue(io, 1, "probe", quietLogger());
  ScanCheckSpec ok;
  // Progress on stderr must not corrupt the JSON on stdout.
  ok.argv = {"sh", "-c",
             "echo 'INFO downloading DB' >&2; printf '%s' '{\"SchemaVersion\": 2, \"Results\": "
             "[{\"Target\": \"t\", \"Vulnerabilities\": [{\"VulnerabilityID\": \"CVE-1\", "
             "\"PkgName\": \"p\", \"InstalledVersion\": \"1\", \"Severity\": \"HIGH\"}]}]}'"};
  auto o = runOnce(*makeScanProbe(ok, clock, queue), io, 5s);
  INFO(o.message);
  CHECK(o.raw_status == HealthStatus::Degraded);
  REQUIRE(o.scan);
  CHECK(o.scan->findings.size() == 1);

  ScanCheckSpec flood;
  flood.argv = {"sh", "-c", "head -c 50000000 /dev/zero | tr '\\0' '['"};
  o = runOnce(*makeScanProbe(flood, clock, queue), io, 8s);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK_THAT(o.message, Catch::Contains("more than 8388608 bytes"));
  CHECK_FALSE(o.scan);

  ScanCheckSpec failing;
  failing.argv = {"sh", "-c", "echo '{}'; echo 'FATAL no such image' >&2; exit 2"};
  o = runOnce(*makeScanProbe(failing, clock, queue), io, 5s);
  CHECK(o.message == "scanner exited with code 2: FATAL no such image");
}

TEST_CASE("scan: a hung scanner is killed at the timeout with its process group",
          "[agent][integration][probe][scan]") {
  boost::asio::io_context io;
  SystemClock clock;
  AsioWorkQueue queue(io, 1, "probe", quietLogger());
  ScanCheckSpec hang;
  hang.argv = {"sh", "-c", "echo 'scanning' >&2; sleep 30"};
  auto o = runOnce(*makeScanProbe(hang, clock, queue), io, 300ms);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.failure_kind == FailureKind::Timeout);
  CHECK_THAT(o.message, Catch::Contains("scanner timed out"));
  CHECK(o.details["stderr"] == "scanning\n");
}

TEST_CASE("exec: a timeout kills the whole process group", "[agent][integration][probe]") {
  boost::asio::io_context io;
  SystemClock clock;
  AsioWorkQueue queue(io, 1, "probe", quietLogger());
  const std::string dir = tempDir("exec-timeout");
  ExecCheckSpec hang;
  // A grandchild that would outlive a plain kill of the direct child.
  hang.argv = {"sh", "-c", "sleep 30 & echo $! > " + dir + "/bg.pid; wait"};
  auto o = runOnce(*makeExecProbe(hang, clock, queue), io, 300ms);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.failure_kind == FailureKind::Timeout);
  CHECK_THAT(o.message, Catch::Contains("process group killed"));
  std::ifstream in(dir + "/bg.pid");
  int bg = 0;
  in >> bg;
  REQUIRE(bg > 0);
  CHECK(eventually([&] { return processState(bg) == 0 || processState(bg) == 'Z'; }));
  fs::remove_all(dir);
}

TEST_CASE("log: counts new lines and follows rotation and truncation",
          "[agent][integration][probe]") {
  boost::asio::io_context io;
  SystemClock clock;
  AsioWorkQueue queue(io, 1, "probe", quietLogger());
  const std::string dir = tempDir("log");
  const std::string path = dir + "/app.log";
  append(path, "old ERROR before the agent started\n");
  LogCheckSpec spec;
  spec.path = path;
  spec.levels = {{"error", R"(\bERROR\b)"}, {"warn", R"(\bWARN\b)"}};
  spec.patterns = {{"oom", "out of memory"}};
  auto probe = makeLogProbe(spec, clock, queue);

  auto o = runOnce(*probe, io, 1s);
  CHECK(o.raw_status == HealthStatus::Healthy);
  CHECK_THAT(o.message, Catch::StartsWith("watching "));  // from the end: old lines not counted

  append(path, "ERROR job 1 failed\nERROR job 2 failed\nWARN slow\nworker out of memory\npart");
  o = runOnce(*probe, io, 1s);
  CHECK(o.details["count.error"] == "2");
  CHECK(o.details["count.warn"] == "1");
  CHECK(o.details["count.oom"] == "1");
  CHECK(o.details["top.1"] == "2x ERROR job # failed");

  // Rotation by rename: the rest of the old file, then the new file from its start.
  append(path, "ial ERROR line\n");
  fs::rename(path, path + ".1");
  append(path, "ERROR in the new file\n");
  o = runOnce(*probe, io, 1s);
  CHECK(o.details["rotated"] == "true");
  CHECK(o.details["count.error"] == "2");

  // Truncation in place: read again from the start.
  { std::ofstream trunc(path, std::ios::trunc); }
  append(path, "WARN a\n");
  o = runOnce(*probe, io, 1s);
  CHECK(o.details["truncated"] == "true");
  CHECK(o.details["count.warn"] == "1");
  CHECK(o.details["count.error"] == "0");
  fs::remove_all(dir);
}

TEST_CASE("disk: a real file system with a write test", "[agent][integration][probe]") {
  boost::asio::io_context io;
  SystemClock clock;
  AsioWorkQueue queue(io, 1, "probe", quietLogger());
  const std::string dir = tempDir("disk");
  DiskCheckSpec spec;
  spec.path = dir;
  spec.warn_free_percent = 0;
  spec.crit_free_percent = 0;
  spec.warn_free_inodes_percent = 0;
  spec.crit_free_inodes_percent = 0;
  spec.write_test = true;
  auto o = runOnce(*makeDiskProbe(spec, clock, queue), io, 2s);
  CHECK(o.raw_status == HealthStatus::Healthy);
  CHECK_THAT(o.message, Catch::EndsWith("write test ok"));
  CHECK(fs::is_empty(dir));  // the test file is gone

  spec.write_dir = dir + "/missing";
  o = runOnce(*makeDiskProbe(spec, clock, queue), io, 2s);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK_THAT(o.message, Catch::Contains("write test: cannot create a file"));
  fs::remove_all(dir);
}

TEST_CASE("systemd: unknown where systemd is not running", "[agent][integration][probe]") {
  boost::asio::io_context io;
  SystemClock clock;
  AsioWorkQueue queue(io, 1, "probe", quietLogger());
  SystemdProbeOptions options;
  options.booted_marker = "/nonexistent/run/systemd/system";
  auto o = runOnce(*makeSystemdProbe(SystemdCheckSpec{"nginx.service"}, clock, queue, options),
                   io, 2s);
  CHECK(o.raw_status == HealthStatus::Unknown);
  CHECK_THAT(o.message, Catch::StartsWith("systemd is not running on this host"));
}

TEST_CASE("heartbeat: pushes over the local HTTP endpoint reach the board",
          "[agent][integration][probe]") {
  SystemClock clock;
  HeartbeatBoard board;
  board.expect("backup");
  HeartbeatListener listener(board, clock);
  REQUIRE(listener.start("127.0.0.1", 0).ok());
  httplib::Client cli("127.0.0.1", listener.port());
  auto res = cli.Post("/heartbeat/backup", R"({"status":"degraded","message":"slow"})",
                      "application/json");
  REQUIRE(res);
  CHECK(res->status == 204);
  REQUIRE(board.last("backup"));
  CHECK(board.last("backup")->status == HealthStatus::Degraded);
  CHECK(board.last("backup")->message == "slow");
  res = cli.Post("/heartbeat/other", "", "text/plain");
  REQUIRE(res);
  CHECK(res->status == 404);
  res = cli.Post("/heartbeat/backup", "{\"status\":1}", "application/json");
  REQUIRE(res);
  CHECK(res->status == 400);
  listener.stop();
}

TEST_CASE("the heartbeat listener serves the agent's metrics on GET /metrics",
          "[agent][integration][probe]") {
  SystemClock clock;
  HeartbeatBoard board;
  metrics::Registry registry;
  registry.counter("vitals_agent_results_total", "Check results produced").inc(7);
  HeartbeatListener listener(board, clock, &registry);
  REQUIRE(listener.start("127.0.0.1", 0).ok());
  httplib::Client cli("127.0.0.1", listener.port());
  auto res = cli.Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK_THAT(res->body, Catch::Contains("\nvitals_agent_results_total 7\n"));
  listener.stop();

  HeartbeatListener without(board, clock);
  REQUIRE(without.start("127.0.0.1", 0).ok());
  httplib::Client cli2("127.0.0.1", without.port());
  res = cli2.Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 404);
  without.stop();
}

TEST_CASE("the heartbeat listener refuses oversized bodies, wrong methods and garbage, and keeps connections alive",
          "[agent][integration][probe]") {
  SystemClock clock;
  HeartbeatBoard board;
  board.expect("job");
  metrics::Registry registry;
  HeartbeatListener listener(board, clock, &registry);
  REQUIRE(listener.start("127.0.0.1", 0).ok());
  httplib::Client cli("127.0.0.1", listener.port());
  cli.set_keep_alive(true);
  auto res = cli.Post("/heartbeat/job", std::string(20 * 1024, ' '), "application/json");
  REQUIRE(res);
  CHECK(res->status == 413);
  res = cli.Get("/heartbeat/job");
  REQUIRE(res);
  CHECK(res->status == 405);
  res = cli.Post("/metrics", "", "text/plain");
  REQUIRE(res);
  CHECK(res->status == 405);
  res = cli.Post("/heartbeat/../etc", "", "text/plain");
  REQUIRE(res);
  CHECK(res->status == 404);
  // Two requests over one kept-alive connection both get answers.
  httplib::Client keep("127.0.0.1", listener.port());
  keep.set_keep_alive(true);
  for (int i = 0; i < 2; ++i) {
    res = keep.Post("/heartbeat/job", "", "text/plain");
    REQUIRE(res);
    CHECK(res->status == 204);
  }
  // A request line that is not HTTP gets a 400 and the connection closes.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket raw(io);
  raw.connect({boost::asio::ip::make_address("127.0.0.1"), listener.port()});
  boost::asio::write(raw, boost::asio::buffer(std::string("NONSENSE\r\n\r\n")));
  std::string reply;
  boost::system::error_code ec;
  std::array<char, 512> chunk{};
  while (!ec) {  // until the listener closes the connection
    const std::size_t n = raw.read_some(boost::asio::buffer(chunk), ec);
    reply.append(chunk.data(), n);
  }
  CHECK_THAT(reply, Catch::StartsWith("HTTP/1.1 400"));
  listener.stop();
  listener.stop();  // idempotent
}

TEST_CASE("tcp: send a request and expect a reply", "[agent][integration][probe]") {
  httplib::Server server;
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("hi", "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  boost::asio::io_context io;
  SystemClock clock;
  TcpCheckSpec spec;
  spec.host = "127.0.0.1";
  spec.port = static_cast<std::uint16_t>(port);
  spec.send = "GET / HTTP/1.0\r\n\r\n";
  spec.expect = "HTTP/1.1 200";
  auto o = runOnce(*makeTcpProbe(io, clock, spec), io, 2s);
  CHECK(o.raw_status == HealthStatus::Healthy);
  CHECK_THAT(o.message, Catch::StartsWith("got \"HTTP/1.1 200\""));
  spec.expect = "SSH-2.0";
  o = runOnce(*makeTcpProbe(io, clock, spec), io, 2s);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK_THAT(o.message, Catch::StartsWith("expected \"SSH-2.0\" in the reply, got \"HTTP/1.1 200"));
  server.stop();
  t.join();
}

TEST_CASE("http: JSON condition and redirects against a local server",
          "[agent][integration][probe]") {
  httplib::Server server;
  server.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ok","db":{"up":true}})", "application/json");
  });
  server.Get("/old", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("/health");
  });
  server.Get("/loop", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("/loop");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  boost::asio::io_context io;
  SystemClock clock;
  auto tls = makeTlsContexts();
  auto spec = [&](const std::string& path) {
    HttpCheckSpec s;
    s.url = "http://127.0.0.1:" + std::to_string(port) + path;
    REQUIRE(parseHttpUrl(s.url, s).empty());
    return s;
  };

  auto json = spec("/health");
  json.json = JsonCondition{"$.db.up", {"db", "up"}, "true"};
  CHECK(runOnce(*makeHttpProbe(io, clock, tls, json), io, 2s).raw_status ==
        HealthStatus::Healthy);
  json.json = JsonCondition{"$.status", {"status"}, "degraded"};
  auto o = runOnce(*makeHttpProbe(io, clock, tls, json), io, 2s);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message == "HTTP 200 but $.status is \"ok\", expected \"degraded\"");

  auto nofollow = spec("/old");
  o = runOnce(*makeHttpProbe(io, clock, tls, nofollow), io, 2s);
  CHECK(o.message == "expected status 2xx, got 302");

  auto follow = spec("/old");
  follow.follow_redirects = true;
  follow.body_contains = "\"ok\"";
  o = runOnce(*makeHttpProbe(io, clock, tls, follow), io, 2s);
  CHECK(o.raw_status == HealthStatus::Healthy);
  CHECK(o.details["redirects"] == "1");
  CHECK(o.details["final_url"] == "http://127.0.0.1:" + std::to_string(port) + "/health");

  auto loop = spec("/loop");
  loop.follow_redirects = true;
  loop.max_redirects = 3;
  o = runOnce(*makeHttpProbe(io, clock, tls, loop), io, 2s);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message == "more than 3 redirects (last to /loop)");
  server.stop();
  t.join();
}

namespace {

// A self-signed certificate for 127.0.0.1 made with the openssl tool, valid for `days` (a
// negative number gives one that expired).
struct TestCert {
  std::string key;
  std::string cert;
};

TestCert makeCert(const std::string& dir, const std::string& name, int days) {
  TestCert c{dir + "/" + name + ".key", dir + "/" + name + ".pem"};
  const std::string csr = dir + "/" + name + ".csr";
  const std::string ext = dir + "/" + name + ".ext";
  std::ofstream(ext) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  const std::string cmd =
      "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "
      "/CN=localhost -keyout " + c.key + " -out " + csr + " 2>/dev/null && openssl x509 -req -in " +
      csr + " -signkey " + c.key + " -days " + std::to_string(days) + " -extfile " + ext +
      " -out " + c.cert + " 2>/dev/null";
  REQUIRE(run(cmd) == 0);
  return c;
}

class TlsServer {
 public:
  explicit TlsServer(const TestCert& cert) : server_(cert.cert.c_str(), cert.key.c_str()) {
    server_.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("secure", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~TlsServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  httplib::SSLServer server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace

TEST_CASE("https: verification, a private CA file, and certificate expiry",
          "[agent][integration][probe]") {
  const std::string dir = tempDir("tls");
  boost::asio::io_context io;
  SystemClock clock;
  auto tls = makeTlsContexts();
  auto spec = [](const std::string& url) {
    HttpCheckSpec s;
    s.url = url;
    REQUIRE(parseHttpUrl(url, s).empty());
    return s;
  };

  const TestCert soon = makeCert(dir, "soon", 5);
  TlsServer server(soon);

  // Verification is on by default: a self-signed certificate is refused.
  auto strict = spec(server.url());
  auto o = runOnce(*makeHttpProbe(io, clock, tls, strict), io, 3s);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK_THAT(o.message, Catch::StartsWith("TLS: certificate verification failed"));

  // Trusted through ca_file; 5 days left is inside the default 14-day warning.
  auto trusted = spec(server.url());
  trusted.ca_file = soon.cert;
  trusted.body_contains = "secure";
  o = runOnce(*makeHttpProbe(io, clock, tls, trusted), io, 3s);
  CHECK(o.raw_status == HealthStatus::Degraded);
  CHECK_THAT(o.message, Catch::StartsWith("TLS certificate expires in 4 days"));
  CHECK(o.details["cert_days_left"] == "4");

  trusted.cert_warn_days = 3;
  o = runOnce(*makeHttpProbe(io, clock, tls, trusted), io, 3s);
  CHECK(o.raw_status == HealthStatus::Healthy);

  auto unverified = spec(server.url());
  unverified.tls_verify = false;
  unverified.cert_warn_days = 3;
  CHECK(runOnce(*makeHttpProbe(io, clock, tls, unverified), io, 3s).raw_status ==
        HealthStatus::Healthy);

  const TestCert old = makeCert(dir, "expired", -1);
  TlsServer expired_server(old);
  auto expired = spec(expired_server.url());
  expired.tls_verify = false;  // even unverified, an expired certificate is down
  o = runOnce(*makeHttpProbe(io, clock, tls, expired), io, 3s);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK_THAT(o.message, Catch::StartsWith("TLS certificate expired on "));
  fs::remove_all(dir);
}
