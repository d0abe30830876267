// restrict_targets: config keys, and http/tcp probes that go through the SSRF guard before every
// connect (redirects included), against a local server (tagged [integration] like the other
// loopback probe tests: real sockets on 127.0.0.1, ports from the OS, no fixture).
#include <httplib.h>

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "agent/config/config_loader.hpp"
#include "agent/probe/http_probe.hpp"
#include "agent/probe/tcp_probe.hpp"
#include "common/asio/asio.hpp"
#include "common/net/target_guard.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace std::chrono_literals;

namespace {

ProbeOutcome runOnce(Probe& probe, boost::asio::io_context& io) {
  std::optional<ProbeOutcome> out;
  io.restart();
  auto guard = boost::asio::make_work_guard(io);
  probe.run(2s, [&](ProbeOutcome o) {
    out = std::move(o);
    guard.reset();
  });
  io.run_for(10s);
  REQUIRE(out.has_value());
  return *out;
}

std::shared_ptr<const net::GuardPolicy> allowing(const std::vector<std::string>& cidrs) {
  auto p = std::make_shared<net::GuardPolicy>();
  for (const auto& c : cidrs) {
    p->allow_cidrs.push_back(*net::Cidr::parse(c));
  }
  return p;
}

std::optional<AgentConfig> load(const std::string& yaml, config::Problems& problems) {
  LoadOptions o;
  o.hostname = "web-01";
  o.readable = [](const std::string&) { return true; };
  return parseAgentConfig(yaml, "agent.yaml", o, problems);
}

}  // namespace

TEST_CASE("restrict_targets and target_allowlist are read into one shared guard policy",
          "[agent][unit][ssrf]") {
  config::Problems problems;
  auto cfg = load(R"(agent_id: a1
target_allowlist: ["10.1.0.0/16", "*.corp.example", "status.example"]
checks:
  - name: api
    kind: http
    url: https://api.example.com/health
    restrict_targets: true
  - name: db
    kind: tcp
    host: db.example.com
    port: 5432
    restrict_targets: true
  - name: local
    kind: http
    url: http://127.0.0.1:8080/health
)",
                  problems);
  INFO(problems.format());
  REQUIRE(cfg.has_value());
  const auto& api = std::get<HttpCheckSpec>(cfg->checks[0].spec);
  const auto& db = std::get<TcpCheckSpec>(cfg->checks[1].spec);
  const auto& local = std::get<HttpCheckSpec>(cfg->checks[2].spec);
  REQUIRE(api.restrict_targets);
  CHECK(api.restrict_targets == db.restrict_targets);
  CHECK(api.restrict_targets->allow_cidrs.size() == 1);
  CHECK(api.restrict_targets->allow_hosts ==
        std::vector<std::string>{"*.corp.example", "status.example"});
  CHECK_FALSE(local.restrict_targets);  // the owner's own checks stay trusted

  config::Problems bad;
  CHECK_FALSE(load(R"(agent_id: a1
target_allowlist: ["10.1.0.0/33"]
checks:
  - name: api
    kind: http
    url: http://user@example.com/
    restrict_targets: true
)",
                   bad)
                  .has_value());
  const auto text = bad.format();
  CHECK(text.find("agent.yaml:2: target_allowlist:") != std::string::npos);
  CHECK(text.find("agent.yaml:6: checks[0].url:") != std::string::npos);
}

TEST_CASE("restricted http and tcp probes connect only where the guard allows, redirects "
          "included",
          "[agent][integration][probe][ssrf]") {
  httplib::Server server;
  std::atomic<int> requests{0};
  server.Get("/health", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.set_content("ok", "text/plain");
  });
  server.Get("/to-metadata", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.set_redirect("http://169.254.169.254/latest/meta-data/");
  });
  server.Get("/to-self", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.set_redirect("/health");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  boost::asio::io_context io;
  SystemClock clock;
  auto tls = makeTlsContexts();
  auto spec = [&](const std::string& path, std::shared_ptr<const net::GuardPolicy> policy) {
    HttpCheckSpec s;
    s.url = "http://127.0.0.1:" + std::to_string(port) + path;
    REQUIRE(parseHttpUrl(s.url, s).empty());
    s.follow_redirects = true;
    s.restrict_targets = std::move(policy);
    return s;
  };

  // Not allowlisted: refused before any connection.
  auto o = runOnce(*makeHttpProbe(io, clock, tls, spec("/health", allowing({}))), io);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.failure_kind == FailureKind::Error);
  CHECK(o.message == "target refused: address 127.0.0.1 is loopback (127.0.0.0/8)");
  CHECK(requests == 0);

  // Allowlisted: it runs; a redirect to the metadata address is refused, one to itself is fine.
  const auto allow_local = allowing({"127.0.0.1/32"});
  auto refused = [](const ProbeOutcome& out) { return out.message.rfind("target refused", 0) == 0; };
  o = runOnce(*makeHttpProbe(io, clock, tls, spec("/health", allow_local)), io);
  CHECK_FALSE(refused(o));
  CHECK(o.raw_status == HealthStatus::Healthy);
  CHECK(requests == 1);
  o = runOnce(*makeHttpProbe(io, clock, tls, spec("/to-metadata", allow_local)), io);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message ==
        "target refused: address 169.254.169.254 is link-local (169.254.0.0/16)");
  CHECK(requests == 2);
  o = runOnce(*makeHttpProbe(io, clock, tls, spec("/to-self", allow_local)), io);
  CHECK_FALSE(refused(o));
  CHECK(o.raw_status == HealthStatus::Healthy);
  CHECK(o.details["redirects"] == "1");
  CHECK(requests == 4);  // /to-self, then /health
  const int before_named = requests;

  // A host name resolved by the probe itself is judged by its addresses.
  auto named = spec("/health", allowing({}));
  named.url = "http://localhost:" + std::to_string(port) + "/health";
  REQUIRE(parseHttpUrl(named.url, named).empty());
  named.restrict_targets = allowing({});
  o = runOnce(*makeHttpProbe(io, clock, tls, named), io);
  CHECK(o.message == "target refused: \"localhost\" is a loopback name");
  CHECK(requests == before_named);

  // tcp: the same rules.
  TcpCheckSpec tcp;
  tcp.host = "127.0.0.1";
  tcp.port = static_cast<std::uint16_t>(port);
  tcp.restrict_targets = allowing({});
  o = runOnce(*makeTcpProbe(io, clock, tcp), io);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message == "target refused: address 127.0.0.1 is loopback (127.0.0.0/8)");
  tcp.restrict_targets = allow_local;
  CHECK(runOnce(*makeTcpProbe(io, clock, tcp), io).raw_status == HealthStatus::Healthy);
  tcp.host = "127.0.0.2";  // another loopback address: not in the allowlist
  o = runOnce(*makeTcpProbe(io, clock, tcp), io);
  CHECK(o.message == "target refused: address 127.0.0.2 is loopback (127.0.0.0/8)");

  server.stop();
  t.join();
}

TEST_CASE("a restricted probe judges what the system resolver returns: this host's own name "
          "(loopback in /etc/hosts) is refused",
          "[agent][integration][probe][ssrf]") {
  char name[256] = {};
  REQUIRE(::gethostname(name, sizeof(name) - 1) == 0);
  const std::string host = name;
  net::SystemResolver system;
  auto addresses = system.resolve(host);
  bool all_loopback = addresses.ok() && !addresses->empty();
  for (const auto& a : addresses.ok() ? addresses.value() : std::vector<net::IpAddress>{}) {
    all_loopback = all_loopback && net::blockedReason(a).value_or("").rfind("loopback", 0) == 0;
  }
  if (!all_loopback) {
    WARN("this host's name does not resolve to loopback only; nothing to show here");
    return;
  }
  httplib::Server server;
  std::atomic<int> requests{0};
  server.Get("/health", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.set_content("ok", "text/plain");
  });
  const int port = server.bind_to_any_port(addresses->front().toString());  // loopback
  std::thread t([&] { server.listen_after_bind(); });
  boost::asio::io_context io;
  SystemClock clock;
  auto tls = makeTlsContexts();
  HttpCheckSpec spec;
  spec.url = "http://" + host + ":" + std::to_string(port) + "/health";
  REQUIRE(parseHttpUrl(spec.url, spec).empty());
  spec.restrict_targets = allowing({});
  auto o = runOnce(*makeHttpProbe(io, clock, tls, spec), io);
  CHECK(o.message.rfind("target refused: \"" + host + "\" resolves to 127.", 0) == 0);
  CHECK(requests == 0);
  // Unrestricted (the owner's own check), the same URL is probed.
  spec.restrict_targets = nullptr;
  runOnce(*makeHttpProbe(io, clock, tls, spec), io);
  CHECK(requests == 1);
  server.stop();
  t.join();
}
