// The live stream over real HTTP and WebSocket on loopback: the hub's HttpServer, WsServer,
// AccessControl and router with the stream handler, in this process (no database or bus needed:
// events are published straight into the StreamHub). Many clients, resume after a forced
// disconnect, a client that stops reading, and tickets, over both transports.
#include <netinet/in.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/metrics/metrics.hpp"
#include "common/time/clock.hpp"
#include "hub/api/access_control.hpp"
#include "hub/api/http_server.hpp"
#include "hub/api/stream_handler.hpp"
#include "hub/api/ws_server.hpp"
#include "hub/auth/api_key.hpp"
#include "tests/integration/stream_sse_client.hpp"
#include "tests/integration/stream_ws_client.hpp"
#include "tests/support/fixture.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace std::chrono_literals;

namespace {

struct NoAudit final : api::AuditSink {
  void record(const audit::AuditEntry&, SystemTime) override {}
};

// An API with only the stream routes, auth disabled (every caller is an anonymous admin).
struct StreamServer {
  SystemClock clock;
  metrics::Registry registry;
  stream::StreamHub hub;
  auth::OpenSslRandom random;
  stream::TicketStore tickets{clock, random};
  api::StreamHandler handler{hub, tickets, clock};
  api::Router router;
  NoAudit audit;
  std::unique_ptr<api::AccessControl> access;
  std::unique_ptr<api::HttpServer> http;
  std::unique_ptr<api::WsServer> ws;
  int port = 0;
  int ws_port = 0;

  explicit StreamServer(stream::StreamSettings settings,
                        std::chrono::milliseconds write_timeout = 30s)
      : hub(clock, "5eed", settings, registry) {
    router.add({"GET",
                "/api/v1/stream",
                {"kinds", "services", "ticket", "last_event_id"},
                [this](const api::ApiRequest& r) { return handler.stream(r); },
                api::Access::Ticket});
    router.add({"GET",
                "/api/v1/ws",
                {"kinds", "services", "ticket", "last_event_id"},
                [this](const api::ApiRequest& r) { return handler.websocket(r); },
                api::Access::Ticket});
    router.add({"POST",
                "/api/v1/stream/tickets",
                {},
                [this](const api::ApiRequest& r) { return handler.createTicket(r); },
                api::Access::Readonly});
    api::AccessSettings s;
    s.auth_required = false;
    // One anonymous caller opens every stream here: without this, the per-caller request
    // limit (api.rate_limit, burst 40) answers 429 to most of 200 simultaneous connects.
    s.per_key.per_second = 0;
    access = std::make_unique<api::AccessControl>(router, nullptr, s, clock, audit, registry);
    api::HttpServerSettings hs;
    hs.worker_threads = settings.max_clients + 8;
    hs.write_timeout = write_timeout;
    http = std::make_unique<api::HttpServer>(
        *access, hs,
        std::make_shared<spdlog::logger>("null", std::make_shared<spdlog::sinks::null_sink_mt>()));
    api::WsServerSettings ws_settings;
    ws_settings.write_timeout = write_timeout;
    ws = std::make_unique<api::WsServer>(
        *access, ws_settings,
        std::make_shared<spdlog::logger>("null", std::make_shared<spdlog::sinks::null_sink_mt>()));
    auto ws_bound = ws->start("127.0.0.1", 0);
    REQUIRE(ws_bound.ok());
    ws_port = *ws_bound;
    handler.setWebsocketPort(ws_port);
    auto bound = http->start("127.0.0.1", 0);
    REQUIRE(bound.ok());
    port = *bound;
  }
  ~StreamServer() {
    hub.shutdown();
    ws->stop();
    http->stop();
  }
  bool waitClients(std::size_t n) {
    return test::waitUntil([&] { return hub.clients() >= n; }, 20s);
  }
};

std::uint64_t seqOf(const std::string& id) { return std::stoull(id.substr(id.rfind('-') + 1)); }

// A client that sends `request` and never reads (a small receive buffer, so the server's writes
// back up quickly). Returns the socket; the test closes it.
int stalledClient(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  return fd;
}

}  // namespace

TEST_CASE("200 concurrent SSE clients receive every event in order", "[hub][integration][stream]") {
  constexpr int kClients = 200;
  constexpr int kEvents = 1000;
  StreamServer srv({10000, 5000, 256});
  std::vector<std::vector<std::uint64_t>> got(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      test::readSse(srv.port, "/api/v1/stream?kinds=status", {}, [&](const test::SseEvent& e) {
        if (e.event == "status") {
          got[c].push_back(seqOf(e.id));
        }
        return got[c].size() < kEvents;
      });
    });
    // Connect in waves of 20: cpp-httplib listens with a backlog of 5, and a burst of 200
    // simultaneous connects loses some to the kernel's full accept queue (docs/dashboard.md).
    if (c % 20 == 19) {
      REQUIRE(srv.waitClients(static_cast<std::size_t>(c + 1)));
    }
  }
  const bool all_connected = srv.waitClients(kClients);
  INFO("connected clients: " << srv.hub.clients());
  REQUIRE(all_connected);
  for (int i = 0; i < kEvents; ++i) {
    srv.hub.publish("status", "svc-" + std::to_string(i % 50), {{"n", i}});
    srv.hub.publish("agent", "", {{"n", i}});  // filtered out by kinds=status
    if (i % 100 == 99) {
      std::this_thread::sleep_for(10ms);  // about 1,000 changes a second, in bursts
    }
  }
  for (auto& t : clients) {
    t.join();
  }
  for (int c = 0; c < kClients; ++c) {
    INFO("client " << c);
    REQUIRE(got[c].size() == kEvents);
    for (int i = 0; i < kEvents; ++i) {
      REQUIRE(got[c][i] == static_cast<std::uint64_t>(2 * i + 1));  // every status, in order
    }
  }
}

TEST_CASE(
    "a client resuming with Last-Event-ID after a forced disconnect loses nothing and "
    "repeats nothing",
    "[hub][integration][stream]") {
  StreamServer srv({10000, 1000, 16});
  std::vector<std::uint64_t> seen;
  std::string last;
  std::atomic<bool> first_done{false};
  std::thread client([&] {
    // First connection: hang up after 10 events.
    test::readSse(srv.port, "/api/v1/stream", {}, [&](const test::SseEvent& e) {
      seen.push_back(seqOf(e.id));
      last = e.id;
      return seen.size() < 10;
    });
    first_done = true;
  });
  REQUIRE(srv.waitClients(1));
  for (int i = 0; i < 30; ++i) {
    srv.hub.publish("status", "db", {{"n", i}});
  }
  client.join();
  REQUIRE(first_done);
  for (int i = 30; i < 50; ++i) {  // published while disconnected
    srv.hub.publish("status", "db", {{"n", i}});
  }
  std::thread again([&] {
    test::readSse(srv.port, "/api/v1/stream", {{"Last-Event-ID", last}},
                  [&](const test::SseEvent& e) {
                    CHECK(e.event == "status");  // no reset: the id is still kept
                    seen.push_back(seqOf(e.id));
                    return seen.size() < 60;
                  });
  });
  REQUIRE(test::waitUntil([&] { return srv.hub.clients() == 1; }, 10s));
  for (int i = 50; i < 60; ++i) {
    srv.hub.publish("status", "db", {{"n", i}});
  }
  again.join();
  REQUIRE(seen.size() == 60);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    CHECK(seen[i] == i + 1);
  }
}

TEST_CASE("a client that stops reading is dropped, the others keep every event",
          "[hub][integration][stream]") {
  StreamServer srv({10000, 200, 16}, 2s);
  const int fd = stalledClient(srv.port, "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  REQUIRE(srv.waitClients(1));

  constexpr int kEvents = 2000;
  std::vector<std::uint64_t> got;
  std::thread reader([&] {
    test::readSse(srv.port, "/api/v1/stream", {}, [&](const test::SseEvent& e) {
      got.push_back(seqOf(e.id));
      return got.size() < kEvents;
    });
  });
  REQUIRE(srv.waitClients(2));
  // 16 MB in all: more than the stalled socket's buffers hold, so its queue fills.
  const std::string padding(8192, 'x');
  for (int i = 0; i < kEvents; ++i) {
    srv.hub.publish("status", "db", {{"n", i}, {"pad", padding}});
    if (i % 20 == 19) {
      std::this_thread::sleep_for(5ms);  // let the reader keep up, as a healthy client does
    }
  }
  reader.join();
  ::close(fd);
  CHECK(srv.registry.counter("vitals_stream_dropped_clients_total", "").value() == 1);
  REQUIRE(got.size() == kEvents);
  CHECK(got.back() == kEvents);
}

TEST_CASE("bad filters and Last-Event-IDs are 400 and a reused ticket is 401 over HTTP",
          "[hub][integration][stream]") {
  StreamServer srv({100, 10, 4});
  httplib::Client c("127.0.0.1", srv.port);
  auto r = c.Get("/api/v1/stream?kinds=bogus");
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK_THAT(r->body, Catch::Contains("unknown event kind"));
  r = c.Get("/api/v1/stream", {{"Last-Event-ID", "nonsense"}});
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK_THAT(r->body, Catch::Contains("Last-Event-ID"));
  r = c.Get("/api/v1/stream?ticket=vt_nope");
  REQUIRE(r);
  CHECK(r->status == 401);

  auto t = c.Post("/api/v1/stream/tickets", "", "application/json");
  REQUIRE(t);
  REQUIRE(t->status == 201);
  const auto ticket = nlohmann::json::parse(t->body)["ticket"].get<std::string>();
  std::vector<std::string> kinds;
  std::thread reader([&] {
    CHECK(test::readSse(srv.port, "/api/v1/stream?ticket=" + ticket, {},
                        [&](const test::SseEvent& e) {
                          kinds.push_back(e.event);
                          return false;
                        }) == 200);
  });
  REQUIRE(srv.waitClients(1));
  srv.hub.publish("incident", "db", {});
  reader.join();
  CHECK(kinds == std::vector<std::string>{"incident"});
  r = c.Get("/api/v1/stream?ticket=" + ticket);
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK_THAT(r->body, Catch::Contains("already used"));
}

// ---- the same stream as a WebSocket (GET /api/v1/ws on the WebSocket listener) ----

std::uint64_t wsSeq(const nlohmann::json& m) { return seqOf(m["id"].get<std::string>()); }

TEST_CASE("200 concurrent WebSocket clients receive every event in order",
          "[hub][integration][stream][ws]") {
  constexpr int kClients = 200;
  constexpr int kEvents = 1000;
  StreamServer srv({10000, 5000, 256});
  std::vector<std::vector<std::uint64_t>> got(kClients);
  std::vector<int> statuses(kClients, 0);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      statuses[c] =
          test::readWs(srv.ws_port, "/api/v1/ws?kinds=status", {}, [&](const nlohmann::json& m) {
            if (m["kind"] == "status") {
              got[c].push_back(wsSeq(m));
            }
            return got[c].size() < kEvents;
          }).status;
    });
    if (c % 20 == 19) {
      REQUIRE(srv.waitClients(static_cast<std::size_t>(c + 1)));
    }
  }
  REQUIRE(srv.waitClients(kClients));
  for (int i = 0; i < kEvents; ++i) {
    srv.hub.publish("status", "svc-" + std::to_string(i % 50), {{"n", i}});
    srv.hub.publish("agent", "", {{"n", i}});  // filtered out by kinds=status
    if (i % 100 == 99) {
      std::this_thread::sleep_for(10ms);
    }
  }
  for (auto& t : clients) {
    t.join();
  }
  for (int c = 0; c < kClients; ++c) {
    INFO("client " << c);
    CHECK(statuses[c] == 101);
    REQUIRE(got[c].size() == kEvents);
    for (int i = 0; i < kEvents; ++i) {
      REQUIRE(got[c][i] == static_cast<std::uint64_t>(2 * i + 1));
    }
  }
}

TEST_CASE("a WebSocket client resuming with last_event_id loses nothing and repeats nothing",
          "[hub][integration][stream][ws]") {
  StreamServer srv({10000, 1000, 16});
  std::vector<std::uint64_t> seen;
  std::string last;
  std::string hello;
  std::thread client([&] {
    test::readWs(srv.ws_port, "/api/v1/ws", {}, [&](const nlohmann::json& m) {
      if (m["kind"] == "hello") {
        hello = m["id"];
        return true;
      }
      seen.push_back(wsSeq(m));
      last = m["id"];
      return seen.size() < 10;
    });
  });
  REQUIRE(srv.waitClients(1));
  for (int i = 0; i < 30; ++i) {
    srv.hub.publish("status", "db", {{"n", i}});
  }
  client.join();
  CHECK(hello == "5eed-0");
  for (int i = 30; i < 50; ++i) {
    srv.hub.publish("status", "db", {{"n", i}});
  }
  std::vector<std::string> kinds;
  std::thread again([&] {
    test::readWs(srv.ws_port, "/api/v1/ws?last_event_id=" + last, {}, [&](const nlohmann::json& m) {
      kinds.push_back(m["kind"]);
      if (m["kind"] == "status") {
        seen.push_back(wsSeq(m));
      }
      return seen.size() < 60;
    });
  });
  REQUIRE(test::waitUntil([&] { return srv.hub.clients() == 1; }, 10s));
  for (int i = 50; i < 60; ++i) {
    srv.hub.publish("status", "db", {{"n", i}});
  }
  again.join();
  CHECK(std::count(kinds.begin(), kinds.end(), "reset") == 0);
  REQUIRE(seen.size() == 60);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    CHECK(seen[i] == i + 1);
  }
}

TEST_CASE("a WebSocket client that stops reading is dropped, the others keep every event",
          "[hub][integration][stream][ws]") {
  StreamServer srv({10000, 200, 16}, 2s);
  const int fd =
      stalledClient(srv.ws_port,
                    "GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
                    "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
  REQUIRE(srv.waitClients(1));

  constexpr int kEvents = 2000;
  std::vector<std::uint64_t> got;
  std::thread reader([&] {
    test::readWs(srv.ws_port, "/api/v1/ws", {}, [&](const nlohmann::json& m) {
      if (m["kind"] == "status") {
        got.push_back(wsSeq(m));
      }
      return got.size() < kEvents;
    });
  });
  REQUIRE(srv.waitClients(2));
  const std::string padding(8192, 'x');
  for (int i = 0; i < kEvents; ++i) {
    srv.hub.publish("status", "db", {{"n", i}, {"pad", padding}});
    if (i % 20 == 19) {
      std::this_thread::sleep_for(5ms);
    }
  }
  reader.join();
  CHECK(srv.registry.counter("vitals_stream_dropped_clients_total", "").value() == 1);
  REQUIRE(got.size() == kEvents);
  CHECK(got.back() == kEvents);
  // The stalled connection's thread gives up within the write timeout (2 s here).
  CHECK(test::waitUntil([&] { return srv.ws->connections() == 0; }, 10s));
  ::close(fd);
}

TEST_CASE(
    "WebSocket refusals say what is wrong: 426 over plain HTTP, 400 for bad filters and "
    "ids, 401 for a reused ticket, 404 for other paths",
    "[hub][integration][stream][ws]") {
  StreamServer srv({100, 10, 4});
  httplib::Client c("127.0.0.1", srv.port);
  auto r = c.Get("/api/v1/ws");
  REQUIRE(r);
  CHECK(r->status == 426);
  CHECK_THAT(r->body, Catch::Contains(std::to_string(srv.ws_port)));
  // A client cannot pretend to come through the WebSocket listener.
  r = c.Get("/api/v1/ws", {{"X-Vitals-Websocket", "1"}});
  REQUIRE(r);
  CHECK(r->status == 426);

  auto bad =
      test::readWs(srv.ws_port, "/api/v1/ws?kinds=bogus", {}, [](const auto&) { return false; });
  CHECK(bad.status == 400);
  CHECK_THAT(bad.body, Catch::Contains("unknown event kind"));
  bad = test::readWs(srv.ws_port, "/api/v1/ws?last_event_id=nonsense", {},
                     [](const auto&) { return false; });
  CHECK(bad.status == 400);
  bad = test::readWs(srv.ws_port, "/api/v1/services", {}, [](const auto&) { return false; });
  CHECK(bad.status == 404);

  auto t = c.Post("/api/v1/stream/tickets", "", "application/json");
  REQUIRE(t);
  REQUIRE(t->status == 201);
  const auto ticket = nlohmann::json::parse(t->body)["ticket"].get<std::string>();
  std::vector<std::string> kinds;
  std::thread reader([&] {
    CHECK(
        test::readWs(srv.ws_port, "/api/v1/ws?ticket=" + ticket, {}, [&](const nlohmann::json& m) {
          kinds.push_back(m["kind"]);
          return m["kind"] == "hello";
        }).status == 101);
  });
  REQUIRE(srv.waitClients(1));
  srv.hub.publish("incident", "db", {});
  reader.join();
  CHECK(kinds == std::vector<std::string>{"hello", "incident"});
  auto reused = test::readWs(srv.ws_port, "/api/v1/ws?ticket=" + ticket, {},
                             [](const auto&) { return false; });
  CHECK(reused.status == 401);
  CHECK_THAT(reused.body, Catch::Contains("already used"));
}
