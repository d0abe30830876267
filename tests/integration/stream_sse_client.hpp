#pragma once
// A Server-Sent Events reader for tests and the stream benchmark (header-only; cpp-httplib):
// reads GET <path> and hands each complete event (id, event, data) to a callback until the
// callback returns false, the stream ends or the connection fails.
#include <httplib.h>

#include <functional>
#include <string>
#include <utility>

namespace vitals::test {

struct SseEvent {
  std::string id;
  std::string event = "message";
  std::string data;
};

// Splits a chunk stream into events; comments (": ...") and "retry:" are skipped.
class SseParser {
 public:
  // Returns false as soon as on_event does.
  bool feed(std::string_view chunk, const std::function<bool(const SseEvent&)>& on_event) {
    buffer_.append(chunk);
    std::size_t end;
    while ((end = buffer_.find("\n\n")) != std::string::npos) {
      const std::string block = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      SseEvent e;
      bool any = false;
      std::size_t start = 0;
      while (start <= block.size()) {
        auto nl = block.find('\n', start);
        if (nl == std::string::npos) {
          nl = block.size();
        }
        const std::string line = block.substr(start, nl - start);
        start = nl + 1;
        if (line.rfind("id: ", 0) == 0) {
          e.id = line.substr(4);
          any = true;
        } else if (line.rfind("event: ", 0) == 0) {
          e.event = line.substr(7);
          any = true;
        } else if (line.rfind("data: ", 0) == 0) {
          e.data += line.substr(6);
          any = true;
        }
      }
      if (any && !on_event(e)) {
        return false;
      }
    }
    return true;
  }

 private:
  std::string buffer_;
};

// GET path on 127.0.0.1:port with the headers; returns the HTTP status (-1: no connection).
inline int readSse(int port, const std::string& path, httplib::Headers headers,
                   const std::function<bool(const SseEvent&)>& on_event) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(std::chrono::seconds(30));
  // httplib's server listens with a backlog of 5: in a burst of connects the kernel drops SYNs
  // and the client retries after 1 s, 3 s, ... (as a browser does); httplib's default 300 ms
  // connect timeout would give up first.
  client.set_connection_timeout(std::chrono::seconds(10));
  SseParser parser;
  int status = -1;
  auto res = client.Get(
      path, headers,
      [&](const httplib::Response& r) {
        status = r.status;
        return true;
      },
      [&](const char* data, std::size_t n) {
        return parser.feed({data, n}, on_event);
      });
  if (res) {
    status = res->status;
  }
  return status;
}

}  // namespace vitals::test
