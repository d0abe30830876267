#pragma once
// Serves a Router over HTTP/1.1 with cpp-httplib (its one user in the hub; httplib.h stays in
// http_server.cpp). Requests run on httplib's worker threads.
#include <spdlog/logger.h>

#include <memory>
#include <string>

#include "common/error/result.hpp"
#include "hub/api/router.hpp"

namespace vitals::hub::api {

class HttpServer {
 public:
  HttpServer(const Router& router, std::shared_ptr<spdlog::logger> logger);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds (port 0 = any free port) and serves on a background thread; returns the bound port.
  Result<int> start(const std::string& host, int port);
  // Stops accepting, finishes in-flight requests, joins.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitals::hub::api
