#pragma once
// Serves the API over HTTP/1.1 (or HTTPS when a certificate is configured) with cpp-httplib
// (its one user in the hub; httplib.h stays in http_server.cpp). Every request goes through
// AccessControl (authentication, roles, rate limits, audit) and then the Router. Requests run
// on httplib's worker threads.
#include <spdlog/logger.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "common/error/result.hpp"
#include "hub/api/access_control.hpp"

namespace vitals::hub::api {

struct HttpServerSettings {
  std::size_t max_body_bytes = 1 << 20;          // larger bodies get 413
  std::chrono::milliseconds read_timeout{30000};  // per read of a request (idle socket)
  std::chrono::milliseconds write_timeout{30000};
  // Both set: serve HTTPS only (PEM files).
  std::string tls_cert_file;
  std::string tls_key_file;
  // Worker threads (0: cpp-httplib's default). Each open stream (SSE) holds one.
  std::size_t worker_threads = 0;
};

// Whether this build's cpp-httplib can serve TLS (Debian's is built with OpenSSL).
bool tlsSupported();

class HttpServer {
 public:
  HttpServer(AccessControl& access, HttpServerSettings settings,
             std::shared_ptr<spdlog::logger> logger);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds (port 0 = any free port) and serves on a background thread; returns the bound port.
  // "http.tls" when the certificate or key cannot be loaded.
  Result<int> start(const std::string& host, int port);
  // Stops accepting, finishes in-flight requests, joins.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitals::hub::api
