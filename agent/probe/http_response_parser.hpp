#pragma once
// Incremental HTTP/1.x response parser for the http probe: bytes in, status/Location/body out.
// Pure (no I/O), so it is tested with fixture strings. Boost.Beast's parser does the parsing
// (status line, header fields, Content-Length, chunked encoding); Beast stays in the .cpp.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace vitals::agent {

class HttpResponseParser {
 public:
  enum class State { NeedMore, Done, Failed };

  // head_request: the response has no body whatever its headers say. At most max_body bytes of
  // the body are kept; the rest is parsed and dropped.
  HttpResponseParser(bool head_request, std::size_t max_body);
  ~HttpResponseParser();
  HttpResponseParser(const HttpResponseParser&) = delete;
  HttpResponseParser& operator=(const HttpResponseParser&) = delete;

  // Feeds the next bytes received. Bytes after a complete response are ignored.
  State feed(std::string_view data);
  // The peer closed the connection: completes a body that runs until the close, fails otherwise.
  State finish();

  State state() const { return state_; }
  bool headerDone() const;
  int status() const { return status_; }
  const std::string& location() const { return location_; }
  const std::string& body() const { return body_; }
  // Why parsing failed (Failed), for messages.
  const std::string& error() const { return error_; }

 private:
  class Impl;
  friend class Impl;
  std::unique_ptr<Impl> impl_;
  std::string pending_;  // received bytes the parser has not consumed yet
  State state_ = State::NeedMore;
  int status_ = 0;
  std::string location_;
  std::string body_;
  std::size_t max_body_;
  std::string error_;
};

}  // namespace vitals::agent
