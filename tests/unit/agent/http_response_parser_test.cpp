// HttpResponseParser on fixture strings: whole and split input, Content-Length, chunked and
// close-delimited bodies, HEAD, truncation, garbage, the body cap.
#include <catch2/catch.hpp>

#include "agent/probe/http_response_parser.hpp"

using namespace vitals::agent;
using State = HttpResponseParser::State;

namespace {

constexpr std::size_t kCap = 1 << 20;

const std::string kSimple =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";

}  // namespace

TEST_CASE("a response with Content-Length parses in one piece", "[agent][unit][probe]") {
  HttpResponseParser p(false, kCap);
  CHECK(p.feed(kSimple) == State::Done);
  CHECK(p.status() == 200);
  CHECK(p.body() == "hello");
  CHECK(p.headerDone());
}

TEST_CASE("a response fed one byte at a time parses the same", "[agent][unit][probe]") {
  HttpResponseParser p(false, kCap);
  State s = State::NeedMore;
  for (std::size_t i = 0; i < kSimple.size(); ++i) {
    s = p.feed(std::string_view(kSimple).substr(i, 1));
    if (i + 1 < kSimple.size()) {
      REQUIRE(s == State::NeedMore);
    }
  }
  CHECK(s == State::Done);
  CHECK(p.status() == 200);
  CHECK(p.body() == "hello");
}

TEST_CASE("a chunked body is decoded", "[agent][unit][probe]") {
  HttpResponseParser p(false, kCap);
  CHECK(p.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"st") == State::NeedMore);
  CHECK(p.feed("\r\n9\r\natus\":1}\n\r\n0\r\n\r\n") == State::Done);
  CHECK(p.body() == "{\"status\":1}\n");
}

TEST_CASE("a body without length ends when the peer closes", "[agent][unit][probe]") {
  HttpResponseParser p(false, kCap);
  CHECK(p.feed("HTTP/1.0 503 Service Unavailable\r\n\r\nstarting") == State::NeedMore);
  CHECK(p.feed(" up") == State::NeedMore);
  CHECK(p.finish() == State::Done);
  CHECK(p.status() == 503);
  CHECK(p.body() == "starting up");
}

TEST_CASE("a HEAD response ends after the header whatever Content-Length says",
          "[agent][unit][probe]") {
  HttpResponseParser p(true, kCap);
  CHECK(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n") == State::Done);
  CHECK(p.body().empty());
}

TEST_CASE("204 without a length has no body", "[agent][unit][probe]") {
  HttpResponseParser p(false, kCap);
  CHECK(p.feed("HTTP/1.1 204 No Content\r\n\r\n") == State::Done);
  CHECK(p.status() == 204);
}

TEST_CASE("the Location header of a redirect is kept", "[agent][unit][probe]") {
  HttpResponseParser p(false, kCap);
  CHECK(p.feed("HTTP/1.1 302 Found\r\nlocation: /health\r\nContent-Length: 0\r\n\r\n") ==
        State::Done);
  CHECK(p.status() == 302);
  CHECK(p.location() == "/health");
}

TEST_CASE("a close inside the header or a short body fails", "[agent][unit][probe]") {
  HttpResponseParser header(false, kCap);
  CHECK(header.feed("HTTP/1.1 200 OK\r\nContent-") == State::NeedMore);
  CHECK(header.finish() == State::Failed);
  CHECK(header.error() == "connection closed before a complete answer");

  HttpResponseParser nothing(false, kCap);
  CHECK(nothing.finish() == State::Failed);

  HttpResponseParser body(false, kCap);
  CHECK(body.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello") == State::NeedMore);
  CHECK(body.finish() == State::Failed);
}

TEST_CASE("something that is not HTTP fails with a reason", "[agent][unit][probe]") {
  HttpResponseParser p(false, kCap);
  CHECK(p.feed("SSH-2.0-OpenSSH_9.2\r\n") == State::Failed);
  CHECK_THAT(p.error(), Catch::StartsWith("invalid HTTP response: "));
}

TEST_CASE("only the first max_body bytes of a body are kept", "[agent][unit][probe]") {
  HttpResponseParser p(false, 4);
  CHECK(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nabcdefgh") == State::Done);
  CHECK(p.body() == "abcd");
}
