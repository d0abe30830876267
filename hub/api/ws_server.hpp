#pragma once
// The WebSocket listener (http.websocket_listen): GET /api/v1/ws as a WebSocket, with Boost.Beast,
// because cpp-httplib cannot hand a connection over to another protocol. Every handshake goes
// through the same AccessControl and router as the HTTP API (keys, tickets, roles, rate limits),
// so the listener itself knows nothing of authentication; it only moves the stream's messages
// (ws_messages.hpp) to the client, one text frame each, and pings an idle connection.
//
// One thread per connection, like the SSE stream on the HTTP server: a client that stops
// reading blocks only its own thread (until write_timeout) while the StreamHub drops it.
#include <spdlog/logger.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "common/error/result.hpp"
#include "hub/api/access_control.hpp"

namespace vitals::hub::api {

struct WsServerSettings {
  // Both set: TLS (wss://) only, with the HTTP API's certificate.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::size_t max_connections = 512;                   // more are answered 503 and closed
  std::chrono::milliseconds handshake_timeout{10000};  // TLS + HTTP upgrade request
  std::chrono::milliseconds write_timeout{30000};      // one frame to a client that stopped reading
  std::chrono::milliseconds ping_interval{15000};      // when nothing was sent for this long
  std::size_t max_request_bytes = 16 * 1024;           // the upgrade request's header block
};

class WsServer {
 public:
  WsServer(AccessControl& access, WsServerSettings settings,
           std::shared_ptr<spdlog::logger> logger);
  ~WsServer();
  WsServer(const WsServer&) = delete;
  WsServer& operator=(const WsServer&) = delete;

  // Binds (port 0 = any free port) and accepts on a background thread; returns the bound port.
  // "ws.tls" when the certificate or key cannot be loaded, "ws.bind" when the port is taken.
  Result<int> start(const std::string& host, int port);
  // Stops accepting, closes every connection, joins all threads.
  void stop();
  std::size_t connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitals::hub::api
