#pragma once
// The one URL parser: absolute URLs of the form scheme://host[:port][/path][?query][#fragment]
// as the agent's http checks, the SSRF guard and the hub's webhook settings use them. Pure (no
// resolution, no I/O).
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error/result.hpp"

namespace vitals::net {

struct Url {
  std::string scheme;         // lower-case: "http", "https", "nats", ...
  std::string host;           // lower-case, IPv6 brackets removed
  bool ipv6_literal = false;  // the host was written as [v6]
  std::uint16_t port = 0;     // as written, else the scheme's default (0 when it has none)
  bool port_given = false;    // the URL named a port
  std::string path = "/";     // starts with '/'; no query, no fragment
  std::string query;          // after '?', without it; empty when none

  // "host:port", with brackets around an IPv6 host.
  std::string hostPort() const;
  // What goes on an HTTP request line: path, then "?query" when there is one.
  std::string target() const;
  // scheme://host[:port]target, the port only when it was given; the fragment is gone.
  std::string toString() const;
};

// 80 for http, 443 for https, 4222 for nats, 0 for anything else.
std::uint16_t defaultPort(std::string_view scheme);

// Parses an absolute URL. Refused, with error code "url.invalid" and a message that says what
// is wrong: no "scheme://", whitespace or control characters, user info (user@host), an empty
// host, an unterminated IPv6 literal or text after it, a port that is empty, not a number or
// outside 1-65535. The fragment is dropped.
Result<Url> parseUrl(std::string_view text);

// "host:port", with brackets around a host that contains ':' (IPv6).
std::string hostPort(std::string_view host, int port);

}  // namespace vitals::net
