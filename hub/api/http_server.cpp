#include "hub/api/http_server.hpp"

#include <httplib.h>

#include <cctype>
#include <memory>
#include <thread>

#include "common/text/ascii.hpp"
#include "hub/api/request_helpers.hpp"

namespace vitals::hub::api {

bool tlsSupported() {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  return true;
#else
  return false;
#endif
}

namespace {}  // namespace

struct HttpServer::Impl {
  AccessControl& access;
  HttpServerSettings settings;
  std::shared_ptr<spdlog::logger> logger;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;

  void handle(const httplib::Request& req, httplib::Response& res) {
    const auto q = req.target.find('?');
    IncomingRequest in;
    in.method = req.method;
    in.raw_path = req.target.substr(0, q);
    // From the target only: httplib also files a form-encoded body under params.
    auto query = parseQueryString(
        q == std::string::npos ? std::string_view{} : std::string_view(req.target).substr(q + 1));
    if (!query.ok()) {
      send(errorFrom(query.error()), res);
      return;
    }
    in.query = std::move(query.value());
    in.body = req.body;
    in.authorization = req.get_header_value("Authorization");
    in.remote_addr = req.remote_addr;
    for (const auto& [name, value] : req.headers) {
      // The transport marker is ours to set (the WebSocket listener), never a client's.
      if (!text::equalsAsciiNoCase(name, "Authorization") &&
          !text::equalsAsciiNoCase(name, kWebsocketTransportHeader)) {
        in.headers.emplace_back(name, value);
      }
    }
    send(access.handle(in), res);
  }

  static void send(ApiResponse out, httplib::Response& res) {
    res.status = out.status;
    for (const auto& [k, v] : out.headers) {
      res.set_header(k, v);
    }
    if (out.stream) {
      // Chunked; httplib calls the provider again until done() or a failed write (client gone).
      res.set_chunked_content_provider(
          out.content_type, [body = out.stream](std::size_t, httplib::DataSink& sink) {
            std::string piece;
            const bool more = body->next(piece);
            if (!piece.empty() && !sink.write(piece.data(), piece.size())) {
              return false;
            }
            if (!more) {
              sink.done();
            }
            return true;
          });
    } else if (out.text) {
      // Moved, not copied as set_content would: the service list is megabytes.
      res.body = std::move(*out.text);
      res.set_header("Content-Type", out.content_type);
    } else {
      res.set_content(out.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                      out.content_type.c_str());
    }
  }
};

HttpServer::HttpServer(AccessControl& access, HttpServerSettings settings,
                       std::shared_ptr<spdlog::logger> logger)
    : impl_(new Impl{access, std::move(settings), std::move(logger), {}, {}}) {}

HttpServer::~HttpServer() { stop(); }

Result<int> HttpServer::start(const std::string& host, int port) {
  const auto& cfg = impl_->settings;
  if (!cfg.tls_cert_file.empty() || !cfg.tls_key_file.empty()) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    auto tls =
        std::make_unique<httplib::SSLServer>(cfg.tls_cert_file.c_str(), cfg.tls_key_file.c_str());
    if (!tls->is_valid()) {
      return Error{"http.tls",
                   "cannot load the TLS certificate " + cfg.tls_cert_file + " and key " +
                       cfg.tls_key_file + " (missing, unreadable, not PEM, or not a pair)",
                   {}};
    }
    impl_->server = std::move(tls);
#else
    return Error{
        "http.tls", "this vitals-hub was built with a cpp-httplib without TLS support", {}};
#endif
  } else {
    impl_->server = std::make_unique<httplib::Server>();
  }
  auto& srv = *impl_->server;
  if (cfg.worker_threads > 0) {
    // A stream client holds its worker thread for as long as it is connected.
    srv.new_task_queue = [n = cfg.worker_threads] { return new httplib::ThreadPool(n); };
  }
  srv.set_payload_max_length(cfg.max_body_bytes);
  srv.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(cfg.read_timeout));
  srv.set_write_timeout(std::chrono::duration_cast<std::chrono::microseconds>(cfg.write_timeout));
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    impl_->handle(req, res);
  };
  // Every method reaches our router, which answers 404/405 itself.
  srv.Get(".*", handler);
  srv.Post(".*", handler);
  srv.Put(".*", handler);
  srv.Patch(".*", handler);
  srv.Delete(".*", handler);
  srv.Options(".*", handler);
  srv.set_exception_handler(
      [this](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        res.status = 500;
        res.set_content(R"({"error":{"code":"internal","message":"internal error"}})",
                        "application/json");
        impl_->logger->error("HTTP handler threw");
      });
  // A request without Content-Length or chunked Transfer-Encoding has no body (RFC 9112 6.3);
  // httplib would wait for the peer to close and then answer 400, so such requests are handled
  // here, before it reads anything.
  srv.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if ((req.method == "POST" || req.method == "PUT" || req.method == "PATCH") &&
        !req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
      impl_->handle(req, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Errors httplib answers by itself (malformed request, body too large, URL too long): JSON
  // like ours, saying what was wrong.
  srv.set_error_handler(
      [max_body = cfg.max_body_bytes](const httplib::Request&, httplib::Response& res) {
        if (res.body.empty()) {
          const ApiResponse out =
              httpLayerError(res.status, max_body, CPPHTTPLIB_REQUEST_URI_MAX_LENGTH);
          res.set_content(out.body.dump(), "application/json");
        }
      });
  srv.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    impl_->logger->debug("{} {} -> {}", req.method, req.target, res.status);
  });
  // httplib's default adds SO_REUSEPORT, which lets a second hub bind the same port silently;
  // a busy port must be an error.
  srv.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof(yes));
  });
  int bound = port;
  if (port == 0) {
    bound = srv.bind_to_any_port(host);
    if (bound <= 0) {
      return Error{"http.bind", "cannot listen on " + host + ":0", {}};
    }
  } else if (!srv.bind_to_port(host, port)) {
    return Error{"http.bind",
                 "cannot listen on " + host + ":" + std::to_string(port) +
                     " (address in use or not available)",
                 {}};
  }
  impl_->thread = std::thread([this] { impl_->server->listen_after_bind(); });
  return bound;
}

void HttpServer::stop() {
  if (impl_->thread.joinable()) {
    impl_->server->stop();
    impl_->thread.join();
  }
}

}  // namespace vitals::hub::api
