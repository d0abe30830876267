#include "agent/probe/heartbeat_listener.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

namespace vitals::agent {

constexpr std::size_t kMaxMessage = 1024;

struct HeartbeatListener::Impl {
  httplib::Server server;
  std::thread thread;
};

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
    : impl_(std::make_unique<Impl>()) {
  impl_->server.new_task_queue = [] { return new httplib::ThreadPool(2); };
  impl_->server.set_payload_max_length(16 * 1024);
  impl_->server.Post(R"(/heartbeat/([A-Za-z0-9_-]+))",
                     [&board, &clock](const httplib::Request& req, httplib::Response& res) {
                       HeartbeatPush push;
                       if (auto err = parseHeartbeatBody(req.body, push); !err.empty()) {
                         res.status = 400;
                         res.set_content(nlohmann::json{{"error", err}}.dump(), "application/json");
                         return;
                       }
                       push.at = clock.steadyNow();
                       if (!board.push(req.matches[1], std::move(push))) {
                         res.status = 404;
                         res.set_content(R"({"error":"no heartbeat check with that name"})",
                                         "application/json");
                         return;
                       }
                       res.status = 204;
                     });
  if (metrics != nullptr) {
    impl_->server.Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics->render(), "text/plain; version=0.0.4");
    });
  }
}

HeartbeatListener::~HeartbeatListener() { stop(); }

Status HeartbeatListener::start(const std::string& host, std::uint16_t port) {
  int bound = -1;
  if (port == 0) {
    bound = impl_->server.bind_to_any_port(host);
  } else {
    bound = impl_->server.bind_to_port(host, port) ? port : -1;
  }
  if (bound <= 0) {
    return Error{"heartbeat.bind", "cannot listen on " + host + ":" + std::to_string(port), ""};
  }
  port_ = static_cast<std::uint16_t>(bound);
  impl_->thread = std::thread([impl = impl_.get()] { impl->server.listen_after_bind(); });
  return okStatus();
}

void HeartbeatListener::stop() {
  if (impl_ && impl_->thread.joinable()) {
    impl_->server.stop();
    impl_->thread.join();
  }
}

}  // namespace vitals::agent
