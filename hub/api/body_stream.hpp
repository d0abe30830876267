#pragma once
// A response body produced piece by piece (Server-Sent Events): http_server.cpp sends it with
// chunked transfer encoding, calling next() on the request's worker thread until it returns
// false, the client goes away or the server stops.
#include <string>
#include <vector>

namespace vitals::hub::api {

class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Appends the next piece to out (possibly nothing); may block for up to about a second so
  // the server can notice a stop. Returns false when the body is complete (out is still sent).
  virtual bool next(std::string& out) = 0;
};

// Whole messages produced one batch at a time (the WebSocket stream, ws_server.cpp sends each
// as one text frame). Same blocking contract as BodyStream::next.
class MessageStream {
 public:
  virtual ~MessageStream() = default;
  // Appends the next messages to out (possibly none). Returns false after the last one.
  virtual bool next(std::vector<std::string>& out) = 0;
};

}  // namespace vitals::hub::api
