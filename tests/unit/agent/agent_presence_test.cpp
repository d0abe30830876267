#include <catch2/catch.hpp>

#include "agent/publish/agent_presence.hpp"
#include "common/model/codec.hpp"
#include "common/time/manual_time.hpp"
#include "tests/unit/agent/fakes/fake_bus_publisher.hpp"
#include "tests/unit/agent/fakes/fake_work_queue.hpp"
#include "tests/unit/agent/fakes/test_logger.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace vitals::agent::test;
using namespace std::chrono_literals;

namespace {

PresenceSettings settings() {
  PresenceSettings s;
  s.agent_id = "a1";
  s.boot_id = "b1";
  s.hostname = "host-1";
  s.version = "9.9.9";
  s.heartbeat_interval = 10s;
  CheckSpec c;
  c.name = "web";
  c.service = "web";
  c.kind = "http";
  c.target = "http://127.0.0.1/";
  c.interval = 30s;
  c.timeout = 5s;
  c.retries = 3;
  s.checks = [c] { return std::vector<CheckSpec>{c}; };
  s.check_count = 1;
  s.labels = {{"env", "dev"}};
  s.config_hash = "abc";
  s.actions = {"restart-web"};
  s.retry_min = 500ms;
  s.retry_max = 10s;
  return s;
}

template <typename Queue>
struct Harness {
  ManualTime time;
  FixedRandom random{0.5};  // jitter factor 1.0
  FakeBusPublisher bus;
  Queue queue;
  metrics::Registry metrics;
  std::uint64_t last_seq = 0;
  AgentPresence presence{settings(),
                         time,
                         time,
                         random,
                         bus,
                         queue,
                         [this] {
                           return PresenceCounters{last_seq, 7};
                         },
                         metrics,
                         quietLogger()};

  std::vector<std::string> idsOn(const std::string& subject) const {
    std::vector<std::string> out;
    for (const auto& m : bus.on(subject)) {
      out.push_back(m.msg_id);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("start registers the agent with its checks and sends a first heartbeat",
          "[agent][unit][publish]") {
  Harness<InlineWorkQueue> h;
  h.presence.start();
  const auto regs = h.bus.on("vitals.agent.a1.register");
  REQUIRE(regs.size() == 1);
  CHECK(regs[0].msg_id == "a1.b1.reg.1");
  auto reg = codec::decodeRegistration(regs[0].data);
  REQUIRE(reg.ok());
  CHECK(reg->agent_id == "a1");
  CHECK(reg->boot_id == "b1");
  CHECK(reg->hostname == "host-1");
  CHECK(reg->version == "9.9.9");
  CHECK(reg->config_hash == "abc");
  CHECK(reg->labels.at("env") == "dev");
  REQUIRE(reg->checks.size() == 1);
  CHECK(reg->checks[0].name == "web");
  CHECK(reg->checks[0].target == "http://127.0.0.1/");
  CHECK(reg->actions == std::vector<std::string>{"restart-web"});
  CHECK(h.idsOn("vitals.agent.a1.heartbeat") == std::vector<std::string>{"a1.b1.hb.1"});
  CHECK(h.presence.registrationsStored() == 1);
}

TEST_CASE("heartbeats go out every heartbeat_interval with the pipeline's numbers",
          "[agent][unit][publish]") {
  Harness<InlineWorkQueue> h;
  h.presence.start();
  h.last_seq = 42;
  h.time.advance(9999ms);
  CHECK(h.bus.on("vitals.agent.a1.heartbeat").size() == 1);
  h.time.advance(1ms);
  h.time.advance(10s);
  const auto hbs = h.bus.on("vitals.agent.a1.heartbeat");
  REQUIRE(hbs.size() == 3);
  CHECK(hbs[2].msg_id == "a1.b1.hb.3");
  auto hb = codec::decodeHeartbeat(hbs[2].data);
  REQUIRE(hb.ok());
  CHECK(hb->last_seq == 42);
  CHECK(hb->spooled == 7);
  CHECK(hb->check_count == 1);
  CHECK(hb->interval == 10s);
  CHECK(hb->sent_at == h.time.now());
}

TEST_CASE("a registration the bus refused is retried with the same message id",
          "[agent][unit][publish]") {
  Harness<InlineWorkQueue> h;
  h.bus.down = true;
  h.presence.start();     // attempt 1 fails
  h.time.advance(500ms);  // retry 1 after 500 ms fails
  CHECK(h.bus.on("vitals.agent.a1.register").empty());
  h.bus.down = false;
  h.time.advance(999ms);
  CHECK(h.bus.on("vitals.agent.a1.register").empty());
  h.time.advance(1ms);  // retry 2 after 1 s is stored
  CHECK(h.idsOn("vitals.agent.a1.register") == std::vector<std::string>{"a1.b1.reg.1"});
  int attempts = 0;
  for (const auto& m : h.bus.attempts) {
    attempts += m.msg_id == "a1.b1.reg.1" ? 1 : 0;
  }
  CHECK(attempts == 3);
  CHECK(h.metrics.counter("vitals_agent_registration_failures_total", "").value() == 2);
}

TEST_CASE("reregister after a reconnect publishes the next registration",
          "[agent][unit][publish]") {
  Harness<InlineWorkQueue> h;
  h.presence.start();
  h.presence.reregister();
  CHECK(h.idsOn("vitals.agent.a1.register") ==
        std::vector<std::string>{"a1.b1.reg.1", "a1.b1.reg.2"});
}

TEST_CASE("a reregister while a registration is on its way is published after it",
          "[agent][unit][publish]") {
  Harness<ManualWorkQueue> h;
  h.presence.start();  // registration + heartbeat queued
  h.presence.reregister();
  h.queue.runAll();
  CHECK(h.idsOn("vitals.agent.a1.register") ==
        std::vector<std::string>{"a1.b1.reg.1", "a1.b1.reg.2"});
}

TEST_CASE("a heartbeat is skipped while the previous one still waits for the bus",
          "[agent][unit][publish]") {
  Harness<ManualWorkQueue> h;
  h.presence.start();  // reg.1 and hb.1 queued, not run
  h.time.advance(10s);
  CHECK(h.queue.pending() == 2);
  CHECK(h.metrics.counter("vitals_agent_heartbeats_failed_total", "").value() == 1);
  h.queue.runAll();
  h.time.advance(10s);
  h.queue.runAll();
  CHECK(h.idsOn("vitals.agent.a1.heartbeat") ==
        std::vector<std::string>{"a1.b1.hb.1", "a1.b1.hb.2"});
}

TEST_CASE("stop publishes a deregistration without checks and ends heartbeats",
          "[agent][unit][publish]") {
  Harness<InlineWorkQueue> h;
  h.presence.start();
  std::optional<bool> stored;
  h.presence.stop([&](bool ok) { stored = ok; });
  REQUIRE(stored.has_value());
  CHECK(*stored);
  const auto deregs = h.bus.on("vitals.agent.a1.deregister");
  REQUIRE(deregs.size() == 1);
  CHECK(deregs[0].msg_id == "a1.b1.dereg");
  auto reg = codec::decodeRegistration(deregs[0].data);
  REQUIRE(reg.ok());
  CHECK(reg->checks.empty());
  CHECK(reg->agent_id == "a1");
  h.time.advance(60s);
  CHECK(h.bus.on("vitals.agent.a1.heartbeat").size() == 1);
}

TEST_CASE("stop reports a deregistration the bus did not take", "[agent][unit][publish]") {
  Harness<InlineWorkQueue> h;
  h.presence.start();
  h.bus.down = true;
  std::optional<bool> stored;
  h.presence.stop([&](bool ok) { stored = ok; });
  REQUIRE(stored.has_value());
  CHECK_FALSE(*stored);
}
