#include "common/net/url.hpp"

#include <catch2/catch.hpp>

using namespace vitals;

TEST_CASE("parseUrl splits scheme, host, port, path and query", "[common][unit]") {
  struct Row {
    const char* text;
    const char* scheme;
    const char* host;
    int port;
    bool port_given;
    const char* path;
    const char* query;
  };
  const Row row = GENERATE(values<Row>({
      {"http://h", "http", "h", 80, false, "/", ""},
      {"HTTPS://Host.Example", "https", "host.example", 443, false, "/", ""},
      {"http://h:8080/a/b?c=d&e", "http", "h", 8080, true, "/a/b", "c=d&e"},
      {"http://h?x=1", "http", "h", 80, false, "/", "x=1"},
      {"http://h/p#frag?not-a-query", "http", "h", 80, false, "/p", ""},
      {"http://[::1]:9000/healthz", "http", "::1", 9000, true, "/healthz", ""},
      {"https://[fe80::1]/", "https", "fe80::1", 443, false, "/", ""},
      {"nats://bus.internal", "nats", "bus.internal", 4222, false, "/", ""},
      {"custom+x://h:1", "custom+x", "h", 1, true, "/", ""},
  }));
  INFO(row.text);
  auto url = net::parseUrl(row.text);
  REQUIRE(url.ok());
  CHECK(url->scheme == row.scheme);
  CHECK(url->host == row.host);
  CHECK(url->port == row.port);
  CHECK(url->port_given == row.port_given);
  CHECK(url->path == row.path);
  CHECK(url->query == row.query);
}

TEST_CASE("parseUrl says what is wrong with a URL it refuses", "[common][unit]") {
  struct Row {
    const char* text;
    const char* message;
  };
  const Row row = GENERATE(values<Row>({
      {"h:80/x", "must be an absolute URL (scheme://host...)"},
      {"://h/", "must be an absolute URL (scheme://host...)"},
      {"1http://h/", "must be an absolute URL (scheme://host...)"},
      {"http://", "has no host"},
      {"http://:80/", "has no host"},
      {"http://user:pw@h/", "user info (user@host) in URLs is not supported"},
      {"http://h:/", "empty port"},
      {"http://h:0/", "port must be between 1 and 65535"},
      {"http://h:65536/", "port must be between 1 and 65535"},
      {"http://h:8o/", "invalid port \"8o\""},
      {"http://h:123456/", "invalid port \"123456\""},
      {"http://[::1/", "unterminated IPv6 address"},
      {"http://[::1]x/", "unexpected text after the IPv6 address"},
      {"http://h /x", "must not contain whitespace or control characters"},
      {"http://h/\x01", "must not contain whitespace or control characters"},
  }));
  INFO(row.text);
  auto url = net::parseUrl(row.text);
  REQUIRE_FALSE(url.ok());
  CHECK(url.error().code == "url.invalid");
  CHECK(url.error().message == row.message);
}

TEST_CASE("a parsed URL prints back without its fragment and with brackets for IPv6",
          "[common][unit]") {
  auto url = net::parseUrl("http://[2001:db8::1]:8443/x?y=1#z");
  REQUIRE(url.ok());
  CHECK(url->hostPort() == "[2001:db8::1]:8443");
  CHECK(url->target() == "/x?y=1");
  CHECK(url->toString() == "http://[2001:db8::1]:8443/x?y=1");
  auto plain = net::parseUrl("https://example.com");
  REQUIRE(plain.ok());
  CHECK(plain->hostPort() == "example.com:443");
  CHECK(plain->toString() == "https://example.com/");
}

TEST_CASE("hostPort brackets IPv6 hosts only", "[common][unit]") {
  CHECK(net::hostPort("db", 5432) == "db:5432");
  CHECK(net::hostPort("10.0.0.1", 6379) == "10.0.0.1:6379");
  CHECK(net::hostPort("::1", 80) == "[::1]:80");
}
