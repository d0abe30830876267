#include "hub/api/ws_server.hpp"

#include <sys/socket.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include "common/text/ascii.hpp"
#include "hub/api/request_helpers.hpp"

namespace vitals::hub::api {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kPath = "/api/v1/ws";

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

}  // namespace

// One connection. Blocking Beast calls on its own thread; the watchdog bounds each of them by
// shutting the socket down when its deadline passes (Asio's blocking calls ignore SO_RCVTIMEO).
struct Session {
  explicit Session(tcp::socket s) : socket(std::move(s)), fd(socket.native_handle()) {}
  tcp::socket socket;
  const int fd;
  std::thread thread;
  std::atomic<std::int64_t> deadline_ms{0};  // 0: not in a timed call
  bool done = false;                         // guarded by Impl::mu; fd is closed after it
};

struct WsServer::Impl {
  Impl(AccessControl& a, WsServerSettings s, std::shared_ptr<spdlog::logger> l)
      : access(a), settings(std::move(s)), logger(std::move(l)) {}

  AccessControl& access;
  const WsServerSettings settings;
  std::shared_ptr<spdlog::logger> logger;
  std::optional<net::ssl::context> tls;
  net::io_context ioc;
  std::optional<tcp::acceptor> acceptor;
  std::thread accept_thread;
  std::thread watchdog;
  std::atomic<bool> stopping{false};
  mutable std::mutex mu;
  std::condition_variable wake;
  std::list<std::unique_ptr<Session>> sessions;  // guarded by mu

  // Runs f with a deadline: the watchdog shuts the socket down if f is still running after it.
  template <class F>
  auto timed(Session& s, std::chrono::milliseconds limit, F&& f) {
    s.deadline_ms = nowMs() + limit.count();
    auto r = f();
    s.deadline_ms = 0;
    return r;
  }

  void acceptLoop() {
    for (;;) {
      tcp::socket socket(ioc);
      beast::error_code ec;
      acceptor->accept(socket, ec);
      if (stopping) {
        return;
      }
      if (ec) {
        logger->warn("websocket listener: accept failed: {}", ec.message());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      std::lock_guard lock(mu);
      reapLocked();
      if (sessions.size() >= settings.max_connections) {
        // No thread for it: a short refusal that cannot block, then close.
        static constexpr char kBusy[] =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            "Connection: close\r\nRetry-After: 5\r\nContent-Length: 87\r\n\r\n"
            R"({"error":{"code":"unavailable","message":"too many WebSocket connections to this hub"}})";
        (void)::send(socket.native_handle(), kBusy, sizeof(kBusy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        continue;
      }
      auto& s = *sessions.emplace_back(std::make_unique<Session>(std::move(socket)));
      s.thread = std::thread([this, &s] {
        serve(s);
        std::lock_guard done_lock(mu);
        beast::error_code ignored;
        s.socket.close(ignored);
        s.done = true;
      });
    }
  }

  void reapLocked() {
    for (auto it = sessions.begin(); it != sessions.end();) {
      if ((*it)->done) {
        (*it)->thread.join();
        it = sessions.erase(it);
      } else {
        ++it;
      }
    }
  }

  void watchdogLoop() {
    std::unique_lock lock(mu);
    while (!stopping) {
      wake.wait_for(lock, std::chrono::milliseconds(200));
      const auto now = nowMs();
      for (auto& s : sessions) {
        const auto d = s->deadline_ms.load();
        if (!s->done && d != 0 && now > d) {
          ::shutdown(s->fd, SHUT_RDWR);
        }
      }
    }
  }

  void serve(Session& s) {
    beast::error_code ec;
    std::string remote = "unknown";
    if (auto ep = s.socket.remote_endpoint(ec); !ec) {
      remote = ep.address().to_string();
    }
    if (tls) {
      websocket::stream<beast::ssl_stream<tcp::socket&>> ws(s.socket, *tls);
      const auto hs = timed(s, settings.handshake_timeout, [&] {
        beast::error_code e;
        ws.next_layer().handshake(net::ssl::stream_base::server, e);
        return e;
      });
      if (hs) {
        return;
      }
      session(s, ws, remote);
    } else {
      websocket::stream<tcp::socket&> ws(s.socket);
      session(s, ws, remote);
    }
  }

  template <class Ws>
  void session(Session& s, Ws& ws, const std::string& remote) {
    beast::flat_buffer buffer;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(settings.max_request_bytes));
    parser.body_limit(1024);
    const auto read = timed(s, settings.handshake_timeout, [&] {
      beast::error_code e;
      http::read(ws.next_layer(), buffer, parser, e);
      return e;
    });
    if (read) {
      if (read == http::error::header_limit || read == http::error::body_limit) {
        reply(s, ws.next_layer(), errorResponse(431, "bad_request", "the request is too large"));
      }
      return;
    }
    const auto& req = parser.get();
    const std::string target(req.target());
    const auto q = target.find('?');
    if (target.substr(0, q) != kPath) {
      reply(s, ws.next_layer(),
            errorResponse(404, "not_found", "this port serves only GET /api/v1/ws (a WebSocket)"));
      return;
    }
    if (!websocket::is_upgrade(req)) {
      auto r = errorResponse(426, "upgrade_required",
                             "GET /api/v1/ws needs a WebSocket upgrade (Connection: Upgrade, "
                             "Upgrade: websocket)");
      r.headers.emplace_back("Upgrade", "websocket");
      reply(s, ws.next_layer(), r);
      return;
    }
    IncomingRequest in;
    in.method = std::string(req.method_string());
    in.raw_path = target.substr(0, q);
    auto query = parseQueryString(q == std::string::npos ? std::string_view{}
                                                         : std::string_view(target).substr(q + 1));
    if (!query.ok()) {
      reply(s, ws.next_layer(), errorFrom(query.error()));
      return;
    }
    in.query = std::move(query.value());
    in.authorization = std::string(req[http::field::authorization]);
    in.remote_addr = remote;
    for (const auto& field : req) {
      const std::string name(field.name_string());
      if (!text::equalsAsciiNoCase(name, "Authorization") &&
          !text::equalsAsciiNoCase(name, kWebsocketTransportHeader)) {
        in.headers.emplace_back(name, std::string(field.value()));
      }
    }
    in.headers.emplace_back(kWebsocketTransportHeader, "1");
    ApiResponse out = access.handle(in);
    if (out.status != 101 || !out.messages) {
      reply(s, ws.next_layer(), out);
      return;
    }
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "vitals-hub"); }));
    ws.read_message_max(4096);
    ws.text(true);
    if (timed(s, settings.handshake_timeout, [&] {
          beast::error_code e;
          ws.accept(req, e);
          return e;
        })) {
      return;
    }
    pump(s, ws, *out.messages);
  }

  template <class Ws>
  void pump(Session& s, Ws& ws, MessageStream& messages) {
    auto last_sent = Clock::now();
    std::vector<std::string> batch;
    beast::flat_buffer incoming;
    for (;;) {
      batch.clear();
      const bool more = stopping ? false : messages.next(batch);  // waits up to ~1 s
      for (const auto& m : batch) {
        if (timed(s, settings.write_timeout, [&] {
              beast::error_code e;
              ws.write(net::buffer(m), e);
              return e;
            })) {
          return;
        }
        last_sent = Clock::now();
      }
      if (!more) {
        (void)timed(s, settings.handshake_timeout, [&] {
          beast::error_code e;
          ws.close(stopping ? websocket::close_code::going_away : websocket::close_code::normal, e);
          return e;
        });
        return;
      }
      if (Clock::now() - last_sent >= settings.ping_interval) {
        if (timed(s, settings.write_timeout, [&] {
              beast::error_code e;
              ws.ping({}, e);
              return e;
            })) {
          return;
        }
        last_sent = Clock::now();
      }
      // What the client sends (pongs, a close, messages, which are ignored) is read only when
      // bytes are waiting, so the loop never sits in a read while events are due.
      beast::error_code ec;
      if (s.socket.available(ec) > 0 && !ec) {
        if (timed(s, settings.handshake_timeout, [&] {
              beast::error_code e;
              ws.read(incoming, e);
              return e;
            })) {
          return;  // closed by the client, or broken
        }
        incoming.consume(incoming.size());
      }
    }
  }

  template <class Stream>
  void reply(Session& s, Stream& stream, const ApiResponse& out) {
    http::response<http::string_body> res{static_cast<http::status>(out.status), 11};
    res.set(http::field::content_type, out.content_type);
    for (const auto& [k, v] : out.headers) {
      res.set(k, v);
    }
    res.body() = out.text ? *out.text : out.body.dump();
    res.keep_alive(false);
    res.prepare_payload();
    (void)timed(s, settings.write_timeout, [&] {
      beast::error_code e;
      http::write(stream, res, e);
      return e;
    });
  }
};

WsServer::WsServer(AccessControl& access, WsServerSettings settings,
                   std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<Impl>(access, std::move(settings), std::move(logger))) {}

WsServer::~WsServer() { stop(); }

Result<int> WsServer::start(const std::string& host, int port) {
  const auto& cfg = impl_->settings;
  if (!cfg.tls_cert_file.empty() || !cfg.tls_key_file.empty()) {
    impl_->tls.emplace(net::ssl::context::tls_server);
    beast::error_code ec;
    impl_->tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                            net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                            net::ssl::context::no_tlsv1_1);
    impl_->tls->use_certificate_chain_file(cfg.tls_cert_file, ec);
    if (!ec) {
      impl_->tls->use_private_key_file(cfg.tls_key_file, net::ssl::context::pem, ec);
    }
    if (ec) {
      return Error{"ws.tls",
                   "cannot load the TLS certificate " + cfg.tls_cert_file + " and key " +
                       cfg.tls_key_file + ": " + ec.message(),
                   {}};
    }
  }
  beast::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) {
    return Error{"ws.bind", "cannot listen on " + host + ": not an IP address", {}};
  }
  tcp::acceptor acceptor(impl_->ioc);
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.set_option(net::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(net::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return Error{
        "ws.bind",
        "cannot listen on " + host + ":" + std::to_string(port) + " (" + ec.message() + ")",
        {}};
  }
  const int bound = acceptor.local_endpoint().port();
  impl_->acceptor.emplace(std::move(acceptor));
  impl_->accept_thread = std::thread([this] { impl_->acceptLoop(); });
  impl_->watchdog = std::thread([this] { impl_->watchdogLoop(); });
  return bound;
}

void WsServer::stop() {
  if (!impl_->accept_thread.joinable()) {
    return;
  }
  impl_->stopping = true;
  // A blocked accept() returns when its socket is shut down (Linux).
  ::shutdown(impl_->acceptor->native_handle(), SHUT_RDWR);
  impl_->accept_thread.join();
  beast::error_code ignored;
  impl_->acceptor->close(ignored);
  {
    std::lock_guard lock(impl_->mu);
    for (auto& s : impl_->sessions) {
      if (!s->done) {
        ::shutdown(s->fd, SHUT_RDWR);
      }
    }
  }
  // Sessions end within a poll of their stream (about a second) or at once when shut down.
  std::list<std::unique_ptr<Session>> sessions;
  {
    std::lock_guard lock(impl_->mu);
    sessions.swap(impl_->sessions);
  }
  for (auto& s : sessions) {
    s->thread.join();
  }
  impl_->wake.notify_all();
  impl_->watchdog.join();
}

std::size_t WsServer::connections() const {
  std::lock_guard lock(impl_->mu);
  std::size_t n = 0;
  for (const auto& s : impl_->sessions) {
    n += s->done ? 0 : 1;
  }
  return n;
}

}  // namespace vitals::hub::api
