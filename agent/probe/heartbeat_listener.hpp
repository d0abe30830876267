#pragma once
// The local push endpoint for heartbeat checks: an HTTP/1.1 listener (Asio + Beast) on one thread
// of its own, meant for 127.0.0.1.
//   POST /heartbeat/<check>   body optional: {"status":"healthy|degraded|down","message":"..."}
//   -> 204 when stored; 404 for a name that is not a heartbeat check; 400 for a bad body.
//   GET /metrics              the agent's metrics in the Prometheus text format (when a registry
//                             is given).
// Bodies are capped at 16 KiB (413), headers at 8 KiB (431), idle connections close after 10 s,
// and at most 64 connections are served at once (more are closed at accept).
#include <cstdint>
#include <memory>
#include <string>

#include "agent/probe/heartbeat_probe.hpp"
#include "common/error/result.hpp"
#include "common/metrics/metrics.hpp"
#include "common/time/clock.hpp"

namespace vitals::agent {

class HeartbeatListener {
 public:
  // board, clock and metrics outlive the listener. Without metrics, GET /metrics is 404.
  HeartbeatListener(HeartbeatBoard& board, Clock& clock,
                    const metrics::Registry* metrics = nullptr);
  ~HeartbeatListener();  // stop()
  HeartbeatListener(const HeartbeatListener&) = delete;
  HeartbeatListener& operator=(const HeartbeatListener&) = delete;

  // Binds host:port (port 0: any free port) and serves on its own thread.
  Status start(const std::string& host, std::uint16_t port);
  std::uint16_t port() const { return port_; }
  // Closes the listener and every connection, then joins the thread. Idempotent.
  void stop();

  struct Impl;  // defined in the .cpp (named here so its connection code can use it)

 private:
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
};

// Pure: parses a push body (empty = healthy). Error text, or "" with push filled.
std::string parseHeartbeatBody(const std::string& body, HeartbeatPush& push);

}  // namespace vitals::agent
