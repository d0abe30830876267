#pragma once
// Local HTTP peers for integration tests (header-only; the test binary links cpp-httplib):
// a sample service that can be stopped and started (a target going down and coming back) and a
// webhook receiver that records every POST with the headers vitals signs.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vitals::test {

// Serves GET /healthz -> 200 "ok" on 127.0.0.1:port while started.
class SampleServer {
 public:
  explicit SampleServer(int port) : port_(port) {}
  ~SampleServer() { stop(); }
  void start() {
    server_ = std::make_unique<httplib::Server>();
    server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    REQUIRE(server_->bind_to_port("127.0.0.1", port_));
    thread_ = std::thread([this] { server_->listen_after_bind(); });
  }
  void stop() {
    if (server_) {
      server_->stop();
      thread_.join();
      server_.reset();
    }
  }

 private:
  int port_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

struct ReceivedPost {
  std::string path;
  std::string body;
  std::string timestamp;           // X-Vitals-Timestamp
  std::string signature;           // X-Vitals-Signature
  std::string previous_signature;  // X-Vitals-Signature-Previous
  std::string key;                 // Idempotency-Key
  std::chrono::steady_clock::time_point at;
};

// Records every POST on any path and answers 200, after `lag` (to keep requests in flight).
// Paths starting with /slow hang for `slow` (longer than the hub's timeout).
class WebhookReceiver {
 public:
  explicit WebhookReceiver(std::chrono::milliseconds lag = std::chrono::milliseconds{0},
                           std::chrono::milliseconds slow = std::chrono::seconds{4})
      : lag_(lag), slow_(slow) {
    server_.Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu_);
        received_.push_back(ReceivedPost{req.path, req.body,
                                         req.get_header_value("X-Vitals-Timestamp"),
                                         req.get_header_value("X-Vitals-Signature"),
                                         req.get_header_value("X-Vitals-Signature-Previous"),
                                         req.get_header_value("Idempotency-Key"),
                                         std::chrono::steady_clock::now()});
      }
      std::this_thread::sleep_for(req.path.rfind("/slow", 0) == 0 ? slow_ : lag_);
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~WebhookReceiver() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<ReceivedPost> received(const std::string& path) {
    std::lock_guard lock(mu_);
    std::vector<ReceivedPost> out;
    for (const auto& r : received_) {
      if (r.path == path) {
        out.push_back(r);
      }
    }
    return out;
  }

 private:
  std::chrono::milliseconds lag_;
  std::chrono::milliseconds slow_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<ReceivedPost> received_;
};

}  // namespace vitals::test
