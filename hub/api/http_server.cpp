#include "hub/api/http_server.hpp"

#include <httplib.h>

#include <thread>

namespace vitals::hub::api {

struct HttpServer::Impl {
  const Router& router;
  std::shared_ptr<spdlog::logger> logger;
  httplib::Server server;
  std::thread thread;

  void handle(const httplib::Request& req, httplib::Response& res) {
    const auto q = req.target.find('?');
    const std::string raw_path = req.target.substr(0, q);
    std::vector<std::pair<std::string, std::string>> query(req.params.begin(), req.params.end());
    ApiResponse out = router.dispatch(req.method, raw_path, query, req.body);
    res.status = out.status;
    for (const auto& [k, v] : out.headers) {
      res.set_header(k, v);
    }
    if (out.text) {
      res.set_content(*out.text, out.content_type.c_str());
    } else {
      res.set_content(out.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                      out.content_type.c_str());
    }
  }
};

HttpServer::HttpServer(const Router& router, std::shared_ptr<spdlog::logger> logger)
    : impl_(new Impl{router, std::move(logger), {}, {}}) {}

HttpServer::~HttpServer() { stop(); }

Result<int> HttpServer::start(const std::string& host, int port) {
  auto& srv = impl_->server;
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
  srv.set_exception_handler([this](const httplib::Request&, httplib::Response& res,
                                   std::exception_ptr) {
    res.status = 500;
    res.set_content(R"({"error":{"code":"internal","message":"internal error"}})",
                    "application/json");
    impl_->logger->error("HTTP handler threw");
  });
  // Errors httplib answers by itself (malformed request, body too large): JSON like ours.
  srv.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      const std::string code = res.status == 404   ? "not_found"
                               : res.status == 413 ? "payload_too_large"
                                                   : "bad_request";
      res.set_content(R"({"error":{"code":")" + code + R"(","message":"HTTP )" +
                          std::to_string(res.status) + R"("}})",
                      "application/json");
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
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  return bound;
}

void HttpServer::stop() {
  if (impl_->thread.joinable()) {
    impl_->server.stop();
    impl_->thread.join();
  }
}

}  // namespace vitals::hub::api
