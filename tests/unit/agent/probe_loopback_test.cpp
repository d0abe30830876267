// HttpProbe and TcpProbe against servers this test starts on 127.0.0.1 (ports chosen by the OS).
// Tagged [integration]: they use real sockets and real time (a few hundred ms at most).
#include <httplib.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "agent/probe/http_probe.hpp"
#include "agent/probe/tcp_probe.hpp"
#include "agent/runtime/asio_work_queue.hpp"
#include "common/asio/asio.hpp"
#include "tests/unit/agent/fakes/test_logger.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace vitals::agent::test;
using namespace std::chrono_literals;

namespace {

// A port nothing listens on: bound by the OS, then released.
std::uint16_t closedPort() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = a.local_endpoint().port();
  a.close();
  return port;
}

class TestServer {
 public:
  TestServer() {
    server_.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    server_.Get("/fail", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_content("starting", "text/plain");
    });
    server_.Get("/hang", [this](const httplib::Request&, httplib::Response& res) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, 5s, [this] { return released_; });
      res.set_content("late", "text/plain");
    });
    server_.Get("/echo-header", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.get_header_value("X-Token"), "text/plain");
    });
    server_.Get("/chunked", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("application/json", [](std::size_t, httplib::DataSink& sink) {
        sink.write("{\"status\":", 10);
        sink.write("\"ok\"}", 5);
        sink.done();
        return true;
      });
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~TestServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
};

HttpCheckSpec httpSpec(int port, const std::string& path) {
  HttpCheckSpec s;
  s.url = "http://127.0.0.1:" + std::to_string(port) + path;
  s.scheme = "http";
  s.host = "127.0.0.1";
  s.port = static_cast<std::uint16_t>(port);
  s.path = path;
  return s;
}

TcpCheckSpec tcpSpec(const std::string& host, std::uint16_t port) {
  TcpCheckSpec s;
  s.host = host;
  s.port = port;
  return s;
}

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

}  // namespace

TEST_CASE("HttpProbe: healthy, chunked, HEAD, failing, hanging and a closed port",
          "[agent][integration][probe]") {
  TestServer server;
  boost::asio::io_context io;
  SystemClock clock;
  auto tls = makeTlsContexts();

  auto ok = makeHttpProbe(io, clock, tls, httpSpec(server.port(), "/healthz"));
  auto o = runOnce(*ok, io, 2s);
  CHECK(o.raw_status == HealthStatus::Healthy);
  CHECK_THAT(o.message, Catch::StartsWith("HTTP 200 in "));

  auto body_spec = httpSpec(server.port(), "/healthz");
  body_spec.body_contains = "ok";
  auto body = makeHttpProbe(io, clock, tls, body_spec);
  CHECK(runOnce(*body, io, 2s).raw_status == HealthStatus::Healthy);

  auto failing = makeHttpProbe(io, clock, tls, httpSpec(server.port(), "/fail"));
  o = runOnce(*failing, io, 2s);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message == "expected status 2xx, got 503");

  auto header_spec = httpSpec(server.port(), "/echo-header");
  header_spec.headers = {{"X-Token", "abc"}};
  header_spec.body_contains = "abc";
  auto header = makeHttpProbe(io, clock, tls, header_spec);
  CHECK(runOnce(*header, io, 2s).raw_status == HealthStatus::Healthy);

  // A chunked body is decoded before it is judged; HEAD needs no body at all.
  auto chunked_spec = httpSpec(server.port(), "/chunked");
  chunked_spec.body_contains = "{\"status\":\"ok\"}";
  auto chunked = makeHttpProbe(io, clock, tls, chunked_spec);
  o = runOnce(*chunked, io, 2s);
  CHECK(o.raw_status == HealthStatus::Healthy);
  auto head_spec = httpSpec(server.port(), "/healthz");
  head_spec.method = "HEAD";
  auto head = makeHttpProbe(io, clock, tls, head_spec);
  o = runOnce(*head, io, 2s);
  CHECK(o.raw_status == HealthStatus::Healthy);
  CHECK(o.details["status_code"] == "200");

  auto hanging = makeHttpProbe(io, clock, tls, httpSpec(server.port(), "/hang"));
  o = runOnce(*hanging, io, 300ms);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.failure_kind == FailureKind::Timeout);

  auto refused = makeHttpProbe(io, clock, tls, httpSpec(closedPort(), "/"));
  o = runOnce(*refused, io, 2s);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.failure_kind == FailureKind::Refused);
  CHECK(o.message == "connection refused");
}

TEST_CASE("TcpProbe: an open port is healthy, a closed one refused",
          "[agent][integration][probe]") {
  boost::asio::io_context io;
  SystemClock clock;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = acceptor.local_endpoint().port();

  auto open = makeTcpProbe(io, clock, tcpSpec("127.0.0.1", port));
  auto o = runOnce(*open, io, 2s);
  CHECK(o.raw_status == HealthStatus::Healthy);
  CHECK_THAT(o.message, Catch::StartsWith("connected to 127.0.0.1:" + std::to_string(port)));

  auto closed = makeTcpProbe(io, clock, tcpSpec("127.0.0.1", closedPort()));
  o = runOnce(*closed, io, 2s);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.failure_kind == FailureKind::Refused);
  CHECK(o.message == "connection refused");

  auto unknown = makeTcpProbe(io, clock, tcpSpec("no-such-host.invalid", 80));
  o = runOnce(*unknown, io, 2s);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.failure_kind != FailureKind::None);
}
