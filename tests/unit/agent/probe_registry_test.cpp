#include <catch2/catch.hpp>

#include "agent/probe/builtin_probes.hpp"
#include "agent/probe/probe_registry.hpp"
#include "common/asio/asio.hpp"
#include "tests/unit/agent/fakes/fake_probe.hpp"
#include "tests/unit/agent/fakes/fake_work_queue.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace vitals::agent::test;

namespace {

CheckConfig httpCheck() {
  CheckConfig c;
  c.name = "web";
  c.kind = "http";
  HttpCheckSpec h;
  h.url = "http://127.0.0.1:1/";
  h.scheme = "http";
  h.host = "127.0.0.1";
  h.port = 1;
  c.spec = h;
  return c;
}

CheckConfig tcpCheck() {
  CheckConfig c;
  c.name = "db";
  c.kind = "tcp";
  TcpCheckSpec spec;
  spec.host = "127.0.0.1";
  spec.port = 5432;
  c.spec = spec;
  return c;
}

}  // namespace

TEST_CASE("the builtin probes cover every kind, made from their checks", "[agent][unit][probe]") {
  boost::asio::io_context io;
  SystemClock clock;
  InlineWorkQueue queue;
  HeartbeatBoard board;
  ProbeRegistry registry;
  registerBuiltinProbes(registry, ProbeDeps{io, clock, queue, board});
  CHECK(registry.kinds() == std::vector<std::string>{"container", "disk", "exec", "heartbeat",
                                                     "http", "log", "postgres", "redis",
                                                     "scan", "systemd", "tcp"});

  auto http = registry.create(httpCheck());
  REQUIRE(http.ok());
  CHECK((*http)->kind() == "http");
  CHECK((*http)->target() == "http://127.0.0.1:1/");

  auto tcp = registry.create(tcpCheck());
  REQUIRE(tcp.ok());
  CHECK((*tcp)->kind() == "tcp");
  CHECK((*tcp)->target() == "127.0.0.1:5432");
}

TEST_CASE("a kind without a factory is an error value", "[agent][unit][probe]") {
  ProbeRegistry registry;
  auto p = registry.create(tcpCheck());
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().code == "probe.unknown_kind");
}

TEST_CASE("a factory given the wrong spec refuses instead of guessing", "[agent][unit][probe]") {
  boost::asio::io_context io;
  SystemClock clock;
  InlineWorkQueue queue;
  HeartbeatBoard board;
  ProbeRegistry registry;
  registerBuiltinProbes(registry, ProbeDeps{io, clock, queue, board});
  CheckConfig odd = tcpCheck();
  odd.kind = "http";  // an http kind carrying a tcp spec
  auto p = registry.create(odd);
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().code == "probe.config");
}

TEST_CASE("tests can register their own probe kinds", "[agent][unit][probe]") {
  ProbeRegistry registry;
  registry.add("fake", [](const CheckConfig&) -> Result<std::unique_ptr<Probe>> {
    return std::unique_ptr<Probe>(std::make_unique<FakeProbe>());
  });
  CheckConfig c = tcpCheck();
  c.kind = "fake";
  auto p = registry.create(c);
  REQUIRE(p.ok());
  CHECK((*p)->kind() == "fake");
  CHECK(registry.knows("fake"));
  CHECK_FALSE(registry.knows("tcp"));
}
