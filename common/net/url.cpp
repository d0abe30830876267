#include "common/net/url.hpp"

#include <algorithm>
#include <cctype>

namespace vitals::net {
namespace {

Error invalid(std::string message) { return Error{"url.invalid", std::move(message), {}}; }

std::string toLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
  });
  return out;
}

bool validScheme(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '+' || c == '-' || c == '.';
  });
}

}  // namespace

std::uint16_t defaultPort(std::string_view scheme) {
  if (scheme == "http") {
    return 80;
  }
  if (scheme == "https") {
    return 443;
  }
  if (scheme == "nats" || scheme == "tls") {
    return 4222;
  }
  return 0;
}

std::string hostPort(std::string_view host, int port) {
  const bool v6 = host.find(':') != std::string_view::npos;
  std::string out = v6 ? "[" + std::string(host) + "]" : std::string(host);
  return out + ":" + std::to_string(port);
}

std::string Url::hostPort() const { return net::hostPort(host, port); }

std::string Url::target() const { return query.empty() ? path : path + "?" + query; }

std::string Url::toString() const {
  std::string out = scheme + "://" + (ipv6_literal ? "[" + host + "]" : host);
  if (port_given) {
    out += ":" + std::to_string(port);
  }
  return out + target();
}

Result<Url> parseUrl(std::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return invalid("must not contain whitespace or control characters");
    }
  }
  const auto sep = text.find("://");
  if (sep == std::string_view::npos || !validScheme(text.substr(0, sep))) {
    return invalid("must be an absolute URL (scheme://host...)");
  }
  Url url;
  url.scheme = toLower(text.substr(0, sep));
  const std::string_view rest = text.substr(sep + 3);
  const auto end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? "" : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return invalid("user info (user@host) in URLs is not supported");
  }
  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return invalid("unterminated IPv6 address");
    }
    host = authority.substr(1, close - 1);
    url.ipv6_literal = true;
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        return invalid("unexpected text after the IPv6 address");
      }
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      has_port = true;
    }
  }
  if (host.empty()) {
    return invalid("has no host");
  }
  url.host = toLower(host);
  url.port = defaultPort(url.scheme);
  if (has_port) {
    if (port_text.empty()) {
      return invalid("empty port");
    }
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(),
                                             [](char c) { return c >= '0' && c <= '9'; })) {
      return invalid("invalid port \"" + std::string(port_text) + "\"");
    }
    const int port = std::stoi(std::string(port_text));
    if (port < 1 || port > 65535) {
      return invalid("port must be between 1 and 65535");
    }
    url.port = static_cast<std::uint16_t>(port);
    url.port_given = true;
  }
  tail = tail.substr(0, tail.find('#'));  // fragments never go on the wire
  const auto q = tail.find('?');
  url.path = std::string(tail.substr(0, q));
  if (url.path.empty()) {
    url.path = "/";
  }
  if (q != std::string_view::npos) {
    url.query = std::string(tail.substr(q + 1));
  }
  return url;
}

}  // namespace vitals::net
