#include "agent/probe/heartbeat_listener.hpp"

#include <atomic>
#include <chrono>
#include <optional>
#include <string_view>
#include <thread>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "common/asio/asio.hpp"

namespace vitals::agent {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::asio::ip::tcp;

namespace {

constexpr std::size_t kMaxMessage = 1024;
constexpr std::size_t kMaxBody = 16 * 1024;
constexpr std::size_t kMaxHeader = 8 * 1024;
constexpr int kMaxConnections = 64;
constexpr auto kIdleTimeout = std::chrono::seconds(10);

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

bool validCheckName(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

Response jsonError(http::status status, const std::string& message, unsigned version) {
  Response res{status, version};
  res.set(http::field::content_type, "application/json");
  res.body() = nlohmann::json{{"error", message}}.dump();
  return res;
}

}  // namespace

// What the listener's thread works on.
struct HeartbeatListener::Impl {
  Impl(HeartbeatBoard& b, Clock& c, const metrics::Registry* m) : board(b), clock(c), metrics(m) {}

  Response handle(const Request& req) const;

  HeartbeatBoard& board;
  Clock& clock;
  const metrics::Registry* metrics;
  std::atomic<int> connections{0};  // before io: sessions still queued in io decrement it
  boost::asio::io_context io{1};
  std::optional<tcp::acceptor> acceptor;
  std::thread thread;
};

Response HeartbeatListener::Impl::handle(const Request& req) const {
  const std::string_view target(req.target().data(), req.target().size());
  constexpr std::string_view kHeartbeat = "/heartbeat/";
  if (target.substr(0, kHeartbeat.size()) == kHeartbeat) {
    const std::string_view name = target.substr(kHeartbeat.size());
    if (!validCheckName(name)) {
      return jsonError(http::status::not_found, "no heartbeat check with that name", req.version());
    }
    if (req.method() != http::verb::post) {
      auto res = jsonError(http::status::method_not_allowed, "use POST", req.version());
      res.set(http::field::allow, "POST");
      return res;
    }
    HeartbeatPush push;
    if (auto err = parseHeartbeatBody(req.body(), push); !err.empty()) {
      return jsonError(http::status::bad_request, err, req.version());
    }
    push.at = clock.steadyNow();
    if (!board.push(std::string(name), std::move(push))) {
      return jsonError(http::status::not_found, "no heartbeat check with that name", req.version());
    }
    return Response{http::status::no_content, req.version()};
  }
  if (target == "/metrics" && metrics != nullptr) {
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      auto res = jsonError(http::status::method_not_allowed, "use GET", req.version());
      res.set(http::field::allow, "GET");
      return res;
    }
    Response res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain; version=0.0.4");
    res.body() = metrics->render();
    return res;
  }
  return jsonError(http::status::not_found, "not found", req.version());
}

namespace {

// One connection: read a request, answer it, repeat while the client keeps the connection.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HeartbeatListener::Impl& owner, std::atomic<int>& count)
      : stream_(std::move(socket)), owner_(owner), count_(count) {}
  ~Session() { count_.fetch_sub(1); }

  void read() {
    parser_.emplace();
    parser_->body_limit(kMaxBody);
    parser_->header_limit(kMaxHeader);
    stream_.expires_after(kIdleTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
  }

 private:
  void onRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == boost::asio::error::operation_aborted) {
      return;  // client done, idle, or stopping: the socket closes with the session
    }
    if (ec == http::error::body_limit) {
      res_ = jsonError(http::status::payload_too_large, "body larger than 16384 bytes", 11);
      write(true);
      return;
    }
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      res_ = jsonError(http::status::request_header_fields_too_large, "headers too large", 11);
      write(true);
      return;
    }
    if (ec) {
      res_ = jsonError(http::status::bad_request, "malformed HTTP request", 11);
      write(true);
      return;
    }
    const Request& req = parser_->get();
    res_ = owner_.handle(req);
    write(!req.keep_alive());
  }

  void write(bool close) {
    res_.keep_alive(!close);
    res_.prepare_payload();
    stream_.expires_after(kIdleTimeout);
    http::async_write(stream_, res_,
                      [self = shared_from_this(), close](beast::error_code ec, std::size_t) {
                        if (ec || close) {
                          beast::error_code ignored;
                          self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
                          return;
                        }
                        self->read();
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{kMaxHeader + kMaxBody};
  std::optional<http::request_parser<http::string_body>> parser_;
  Response res_;
  const HeartbeatListener::Impl& owner_;
  std::atomic<int>& count_;
};

void acceptNext(HeartbeatListener::Impl& impl) {
  impl.acceptor->async_accept([&impl](beast::error_code ec, tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !impl.acceptor->is_open()) {
      return;
    }
    if (!ec) {
      if (impl.connections.fetch_add(1) >= kMaxConnections) {
        impl.connections.fetch_sub(1);  // refused: the socket closes here
      } else {
        std::make_shared<Session>(std::move(socket), impl, impl.connections)->read();
      }
    }
    acceptNext(impl);
  });
}

}  // namespace

std::string parseHeartbeatBody(const std::string& body, HeartbeatPush& push) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return "";
  }
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return "body must be a JSON object";
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "status" && it.key() != "message") {
      return "unknown field \"" + it.key() + "\"";
    }
    if (!it.value().is_string()) {
      return "\"" + it.key() + "\" must be a string";
    }
  }
  if (j.contains("status")) {
    const auto text = j["status"].get<std::string>();
    auto s = parseHealthStatus(text);
    if (!s || *s == HealthStatus::Unknown) {
      return "status must be healthy, degraded or down";
    }
    push.status = *s;
  }
  if (j.contains("message")) {
    push.message = j["message"].get<std::string>().substr(0, kMaxMessage);
  }
  return "";
}

HeartbeatListener::HeartbeatListener(HeartbeatBoard& board, Clock& clock,
                                     const metrics::Registry* metrics)
    : impl_(std::make_unique<Impl>(board, clock, metrics)) {}

HeartbeatListener::~HeartbeatListener() { stop(); }

Status HeartbeatListener::start(const std::string& host, std::uint16_t port) {
  auto fail = [&](const std::string& why) -> Status {
    return Error{"heartbeat.bind",
                 "cannot listen on " + host + ":" + std::to_string(port) + ": " + why, ""};
  };
  boost::system::error_code ec;
  // "localhost" is what people write; the listener takes addresses only.
  const auto address = boost::asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) {
    return fail("not an IP address");
  }
  const tcp::endpoint endpoint(address, port);
  tcp::acceptor acceptor(impl_->io);
  if (acceptor.open(endpoint.protocol(), ec); ec) {
    return fail(ec.message());
  }
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (acceptor.bind(endpoint, ec); ec) {
    return fail(ec.message());
  }
  if (acceptor.listen(boost::asio::socket_base::max_listen_connections, ec); ec) {
    return fail(ec.message());
  }
  port_ = acceptor.local_endpoint().port();
  impl_->acceptor.emplace(std::move(acceptor));
  acceptNext(*impl_);
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
  return okStatus();
}

void HeartbeatListener::stop() {
  if (!impl_ || !impl_->thread.joinable()) {
    return;
  }
  // Stopping the context drops every pending operation; the sessions they hold close with it.
  boost::asio::post(impl_->io, [impl = impl_.get()] {
    boost::system::error_code ignored;
    impl->acceptor->close(ignored);
    impl->io.stop();
  });
  impl_->thread.join();
}

}  // namespace vitals::agent
