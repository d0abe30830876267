#include "common/net/target_guard.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

namespace vitals::net {
namespace {

Error invalid(const std::string& message) { return Error{"target.invalid", message, {}}; }
Error blocked(const std::string& message) { return Error{"target.blocked", message, {}}; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string toLower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    c = lower(c);
  }
  return out;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isHex(char c) { return isDigit(c) || (lower(c) >= 'a' && lower(c) <= 'f'); }

// One inet_aton part: decimal, 0-prefixed octal or 0x-prefixed hex; nullopt if malformed or
// larger than 32 bits.
std::optional<std::uint64_t> parsePart(std::string_view p) {
  if (p.empty()) {
    return std::nullopt;
  }
  int base = 10;
  if (p.size() >= 2 && p[0] == '0' && lower(p[1]) == 'x') {
    base = 16;
    p.remove_prefix(2);
    if (p.empty()) {
      return std::nullopt;  // glibc refuses a bare "0x"
    }
  } else if (p.size() >= 2 && p[0] == '0') {
    base = 8;
    p.remove_prefix(1);
  }
  std::uint64_t v = 0;
  for (char c : p) {
    int d = 0;
    if (isDigit(c)) {
      d = c - '0';
    } else if (base == 16 && isHex(c)) {
      d = lower(c) - 'a' + 10;
    } else {
      return std::nullopt;
    }
    if (d >= base) {
      return std::nullopt;
    }
    v = v * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
    if (v > 0xffffffffULL) {
      return std::nullopt;
    }
  }
  return v;
}

// WHATWG "ends in a number": the last label is digits or 0x-hex. Such a host must be an IPv4
// address or nothing (never a name that a resolver might read as a number).
bool endsInNumber(std::string_view host) {
  const auto dot = host.rfind('.');
  std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) {
    return false;
  }
  bool digits = true;
  for (char c : last) {
    digits = digits && isDigit(c);
  }
  if (digits) {
    return true;
  }
  if (last.size() >= 2 && last[0] == '0' && lower(last[1]) == 'x') {
    for (char c : last.substr(2)) {
      if (!isHex(c)) {
        return false;
      }
    }
    return true;
  }
  return false;
}

bool validHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) {
    return false;
  }
  std::size_t label = 0;
  for (char c : host) {
    if (c == '.') {
      if (label == 0) {
        return false;
      }
      label = 0;
      continue;
    }
    const bool ok = isDigit(c) || (c >= 'a' && c <= 'z') || c == '-' || c == '_';
    if (!ok || ++label > 63) {
      return false;
    }
  }
  return label > 0;
}

struct Range4 {
  std::uint32_t base;
  int prefix;
  const char* why;
};

// IANA IPv4 special-purpose registry entries that are not globally reachable, plus multicast.
constexpr Range4 kBlocked4[] = {
    {0x00000000, 8, "\"this network\" (0.0.0.0/8)"},
    {0x0a000000, 8, "private (10.0.0.0/8)"},
    {0x64400000, 10, "carrier-grade NAT (100.64.0.0/10)"},
    {0x7f000000, 8, "loopback (127.0.0.0/8)"},
    {0xa9fe0000, 16, "link-local (169.254.0.0/16)"},
    {0xac100000, 12, "private (172.16.0.0/12)"},
    {0xc0000000, 24, "IETF protocol assignments (192.0.0.0/24)"},
    {0xc0000200, 24, "documentation (192.0.2.0/24)"},
    {0xc0586300, 24, "6to4 relay anycast (192.88.99.0/24)"},
    {0xc0a80000, 16, "private (192.168.0.0/16)"},
    {0xc6120000, 15, "benchmarking (198.18.0.0/15)"},
    {0xc6336400, 24, "documentation (198.51.100.0/24)"},
    {0xcb007100, 24, "documentation (203.0.113.0/24)"},
    {0xe0000000, 4, "multicast (224.0.0.0/4)"},
    {0xffffffff, 32, "broadcast (255.255.255.255)"},
    {0xf0000000, 4, "reserved (240.0.0.0/4)"},
};

std::optional<std::string> blockedReason4(std::uint32_t v) {
  for (const auto& r : kBlocked4) {
    const std::uint32_t mask = r.prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - r.prefix);
    if ((v & mask) == r.base) {
      return std::string(r.why);
    }
  }
  return std::nullopt;
}

bool prefixMatch(const IpAddress& a, std::initializer_list<std::uint8_t> prefix, int bits) {
  std::array<std::uint8_t, 16> p{};
  std::size_t i = 0;
  for (auto b : prefix) {
    p[i++] = b;
  }
  Cidr c{IpAddress{true, p}, bits};
  return c.contains(a);
}

IpAddress embedded4(const IpAddress& a, std::size_t offset) {
  return IpAddress::v4((std::uint32_t{a.bytes[offset]} << 24) |
                       (std::uint32_t{a.bytes[offset + 1]} << 16) |
                       (std::uint32_t{a.bytes[offset + 2]} << 8) | a.bytes[offset + 3]);
}

std::optional<std::string> embeddedReason(const IpAddress& a, std::size_t offset,
                                          const std::string& form) {
  const auto inner = embedded4(a, offset);
  if (auto why = blockedReason4(inner.v4Value())) {
    return form + " of " + inner.toString() + ": " + *why;
  }
  return std::nullopt;
}

std::string bracketed(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

// ---- IpAddress ----

IpAddress IpAddress::v4(std::uint32_t v) {
  IpAddress a;
  a.bytes[0] = static_cast<std::uint8_t>(v >> 24);
  a.bytes[1] = static_cast<std::uint8_t>(v >> 16);
  a.bytes[2] = static_cast<std::uint8_t>(v >> 8);
  a.bytes[3] = static_cast<std::uint8_t>(v);
  return a;
}

std::uint32_t IpAddress::v4Value() const {
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | bytes[3];
}

std::string IpAddress::toString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof(buf));
  return buf;
}

std::optional<IpAddress> parseInetAton(std::string_view text) {
  std::uint64_t parts[4];
  int n = 0;
  std::size_t start = 0;
  while (true) {
    if (n == 4) {
      return std::nullopt;
    }
    const auto dot = text.find('.', start);
    auto part = parsePart(text.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (!part) {
      return std::nullopt;
    }
    parts[n++] = *part;
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  std::uint64_t v = 0;
  for (int i = 0; i < n - 1; ++i) {
    if (parts[i] > 0xff) {
      return std::nullopt;
    }
    v |= parts[i] << (8 * (3 - i));
  }
  const int last_bits = 8 * (4 - (n - 1));
  if (last_bits < 64 && parts[n - 1] >= (std::uint64_t{1} << last_bits)) {
    return std::nullopt;
  }
  v |= parts[n - 1];
  return IpAddress::v4(static_cast<std::uint32_t>(v));
}

std::optional<IpAddress> parseIpv6(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN || text.find('%') != std::string_view::npos) {
    return std::nullopt;
  }
  IpAddress a;
  a.v6 = true;
  const std::string s(text);
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) {
    return std::nullopt;
  }
  return a;
}

// ---- Cidr ----

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto addr_text = text.substr(0, slash);
  std::optional<IpAddress> addr;
  if (addr_text.find(':') != std::string_view::npos) {
    addr = parseIpv6(addr_text);
  } else {
    IpAddress a;
    const std::string s(addr_text);
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {  // strict dotted quad here
      addr = a;
    }
  }
  if (!addr) {
    return std::nullopt;
  }
  const int max = addr->v6 ? 128 : 32;
  int prefix = max;
  if (slash != std::string_view::npos) {
    const auto p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3) {
      return std::nullopt;
    }
    prefix = 0;
    for (char c : p) {
      if (!isDigit(c)) {
        return std::nullopt;
      }
      prefix = prefix * 10 + (c - '0');
    }
    if (prefix > max) {
      return std::nullopt;
    }
  }
  return Cidr{*addr, prefix};
}

bool Cidr::contains(const IpAddress& a) const {
  if (a.v6 != base.v6) {
    return false;
  }
  int bits = prefix;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((a.bytes[i] & mask) != (base.bytes[i] & mask)) {
      return false;
    }
  }
  return true;
}

// ---- classification ----

std::optional<std::string> blockedReason(const IpAddress& a) {
  if (!a.v6) {
    return blockedReason4(a.v4Value());
  }
  // IPv4 carried inside IPv6: judge the IPv4 address.
  if (prefixMatch(a, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96)) {
    return embeddedReason(a, 12, "IPv4-mapped form");
  }
  if (prefixMatch(a, {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0}, 96)) {
    return embeddedReason(a, 12, "IPv4-translated form");
  }
  if (prefixMatch(a, {0x00, 0x64, 0xff, 0x9b}, 96)) {
    return embeddedReason(a, 12, "NAT64 form");
  }
  if (prefixMatch(a, {0x20, 0x02}, 16)) {
    return embeddedReason(a, 2, "6to4 form");
  }
  if (prefixMatch(a, {}, 128)) {
    return std::string("unspecified (::)");
  }
  if (prefixMatch(a, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128)) {
    return std::string("loopback (::1)");
  }
  if (prefixMatch(a, {}, 96)) {
    // ::a.b.c.d (deprecated IPv4-compatible): never a legitimate target.
    return "IPv4-compatible form of " + embedded4(a, 12).toString();
  }
  if (prefixMatch(a, {0xfe, 0x80}, 10)) {
    return std::string("link-local (fe80::/10)");
  }
  if (prefixMatch(a, {0xfe, 0xc0}, 10)) {
    return std::string("site-local (fec0::/10)");
  }
  if (prefixMatch(a, {0xfc}, 7)) {
    return std::string("unique local (fc00::/7)");
  }
  if (prefixMatch(a, {0xff}, 8)) {
    return std::string("multicast (ff00::/8)");
  }
  if (prefixMatch(a, {0x20, 0x01, 0x0d, 0xb8}, 32)) {
    return std::string("documentation (2001:db8::/32)");
  }
  if (prefixMatch(a, {0x20, 0x01, 0x00, 0x00}, 32)) {
    return std::string("Teredo tunnel (2001::/32)");
  }
  if (prefixMatch(a, {0x20, 0x01, 0x00, 0x10}, 28) ||
      prefixMatch(a, {0x20, 0x01, 0x00, 0x20}, 28)) {
    return std::string("ORCHID (2001:10::/28, 2001:20::/28)");
  }
  if (prefixMatch(a, {0x20, 0x01, 0x00, 0x02, 0x00, 0x00}, 48)) {
    return std::string("benchmarking (2001:2::/48)");
  }
  if (!prefixMatch(a, {0x20}, 3)) {
    // Everything outside 2000::/3 (global unicast) is reserved, local or special.
    return std::string("not global unicast (outside 2000::/3)");
  }
  return std::nullopt;
}

// ---- resolver ----

Result<std::vector<IpAddress>> SystemResolver::resolve(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    return Error{"target.resolve", "cannot resolve \"" + host + "\": " + gai_strerror(rc), {}};
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, &freeaddrinfo);
  std::vector<IpAddress> out;
  for (auto* p = res; p != nullptr; p = p->ai_next) {
    IpAddress a;
    if (p->ai_family == AF_INET) {
      std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr, 4);
    } else if (p->ai_family == AF_INET6) {
      a.v6 = true;
      std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr, 16);
    } else {
      continue;
    }
    bool seen = false;
    for (const auto& o : out) {
      seen = seen || o == a;
    }
    if (!seen) {
      out.push_back(a);
    }
  }
  return out;
}

Result<std::vector<IpAddress>> StaticResolver::resolve(const std::string& host) {
  if (!known_) {
    return Error{"target.unresolved", "\"" + host + "\" must be resolved first", {}};
  }
  return addresses_;
}

// ---- URL parsing ----

Result<Url> parseHttpUrl(std::string_view url) {
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '\\') {
      return invalid("URL contains a space, control, non-ASCII or backslash character");
    }
  }
  auto parsed = parseUrl(url);
  if (!parsed.ok()) {
    return invalid(parsed.error().message);
  }
  Url p = std::move(parsed.value());
  if (p.scheme != "http" && p.scheme != "https") {
    return invalid("scheme \"" + p.scheme + "\" is not allowed (only http and https)");
  }
  if (p.host.find('%') != std::string::npos) {
    return invalid("percent-encoding in the host is not allowed");
  }
  if (!p.ipv6_literal && p.host.back() == '.') {
    p.host.pop_back();  // "localhost." is localhost
  }
  if (p.ipv6_literal) {
    if (!parseIpv6(p.host)) {
      return invalid("\"" + p.host + "\" is not an IPv6 address");
    }
  } else if (endsInNumber(p.host)) {
    if (!parseInetAton(p.host)) {
      return invalid("\"" + p.host + "\" is neither an IPv4 address nor a host name");
    }
  } else if (!validHostName(p.host)) {
    return invalid("\"" + p.host + "\" is not a valid host name");
  }
  return p;
}

// ---- TargetGuard ----

TargetGuard::TargetGuard(GuardPolicy policy, Resolver& resolver)
    : policy_(std::move(policy)), resolver_(resolver) {}

bool TargetGuard::hostAllowlisted(const std::string& host) const {
  for (const auto& entry : policy_.allow_hosts) {
    const auto e = toLower(entry);
    if (e == host) {
      return true;
    }
    if (e.size() > 2 && e.rfind("*.", 0) == 0) {
      const auto suffix = e.substr(1);  // ".internal"
      if (host.size() > suffix.size() &&
          host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return true;
      }
    }
  }
  return false;
}

bool TargetGuard::addressAllowlisted(const IpAddress& a) const {
  for (const auto& c : policy_.allow_cidrs) {
    if (c.contains(a)) {
      return true;
    }
  }
  return false;
}

Result<IpAddress> TargetGuard::pin(const std::string& host, bool ipv6_literal) const {
  std::optional<IpAddress> literal =
      ipv6_literal ? parseIpv6(host) : (endsInNumber(host) ? parseInetAton(host) : std::nullopt);
  if (!literal && host.find(':') != std::string::npos) {
    literal = parseIpv6(host);
  }
  if (literal) {
    if (addressAllowlisted(*literal)) {
      return *literal;
    }
    if (auto why = blockedReason(*literal)) {
      return blocked("address " + literal->toString() + " is " + *why);
    }
    return *literal;
  }
  const bool trusted_name = hostAllowlisted(host);
  if (!trusted_name &&
      (host == "localhost" ||
       (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0))) {
    return blocked("\"" + host + "\" is a loopback name");
  }
  auto addresses = resolver_.resolve(host);
  if (!addresses.ok()) {
    const bool later = addresses.error().code == "target.unresolved";
    return Error{later ? "target.unresolved" : "target.resolve", addresses.error().message, {}};
  }
  if (addresses->empty()) {
    return Error{"target.resolve", "\"" + host + "\" has no addresses", {}};
  }
  // Every answer must pass: a name with one public and one private address is refused (the
  // resolver, not us, would decide which one a later connection uses).
  for (const auto& a : addresses.value()) {
    if (trusted_name || addressAllowlisted(a)) {
      continue;
    }
    if (auto why = blockedReason(a)) {
      return blocked("\"" + host + "\" resolves to " + a.toString() + ", which is " + *why);
    }
  }
  return addresses->front();
}

Result<PinnedTarget> TargetGuard::checkUrl(std::string_view url) const {
  auto parsed = parseHttpUrl(url);
  if (!parsed.ok()) {
    return parsed.error();
  }
  const auto& p = parsed.value();
  if (p.port < policy_.min_port || p.port > policy_.max_port) {
    return invalid("port " + std::to_string(p.port) + " is outside " +
                   std::to_string(policy_.min_port) + "-" + std::to_string(policy_.max_port));
  }
  auto address = pin(p.host, p.ipv6_literal);
  if (!address.ok()) {
    return address.error();
  }
  PinnedTarget t;
  t.scheme = p.scheme;
  t.host = p.host;
  t.address = address.value();
  t.port = p.port;
  t.path = p.target();
  const bool default_port = p.port == defaultPort(p.scheme);
  t.url = p.scheme + "://" + bracketed(p.host) +
          (default_port ? "" : ":" + std::to_string(p.port)) + t.path;
  return t;
}

Result<PinnedTarget> TargetGuard::checkHostPort(std::string_view host_in, int port) const {
  if (port < policy_.min_port || port > policy_.max_port || port < 1 || port > 65535) {
    return invalid("port " + std::to_string(port) + " is outside " +
                   std::to_string(policy_.min_port) + "-" + std::to_string(policy_.max_port));
  }
  std::string host = toLower(host_in);
  bool v6 = false;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    v6 = true;
  }
  if (!v6 && !host.empty() && host.back() == '.') {
    host.pop_back();
  }
  v6 = v6 || host.find(':') != std::string::npos;
  if (v6) {
    if (!parseIpv6(host)) {
      return invalid("\"" + host + "\" is not an IPv6 address");
    }
  } else if (endsInNumber(host)) {
    if (!parseInetAton(host)) {
      return invalid("\"" + host + "\" is neither an IPv4 address nor a host name");
    }
  } else if (!validHostName(host)) {
    return invalid("\"" + host + "\" is not a valid host name");
  }
  auto address = pin(host, v6);
  if (!address.ok()) {
    return address.error();
  }
  PinnedTarget t;
  t.scheme = "tcp";
  t.host = host;
  t.address = address.value();
  t.port = port;
  return t;
}

Result<PinnedTarget> TargetGuard::validateRedirect(const PinnedTarget& from,
                                                   std::string_view location) const {
  if (location.empty()) {
    return invalid("empty redirect location");
  }
  for (char c : location) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '\\') {
      return invalid("redirect location contains a space, control, non-ASCII or backslash");
    }
  }
  // An absolute URL has a scheme: letters, digits, + - . before the first ':'.
  const auto colon = location.find(':');
  const auto first_special = location.find_first_of("/?#");
  if (colon != std::string_view::npos &&
      (first_special == std::string_view::npos || colon < first_special)) {
    bool scheme = colon > 0 && ((location[0] >= 'a' && location[0] <= 'z') ||
                                (location[0] >= 'A' && location[0] <= 'Z'));
    for (std::size_t i = 1; scheme && i < colon; ++i) {
      const char c = location[i];
      scheme = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c) || c == '+' ||
               c == '-' || c == '.';
    }
    if (scheme) {
      return checkUrl(location);
    }
  }
  const bool default_port =
      (from.scheme == "http" && from.port == 80) || (from.scheme == "https" && from.port == 443);
  const std::string origin = from.scheme + "://" + bracketed(from.host) +
                             (default_port ? "" : ":" + std::to_string(from.port));
  std::string target;
  if (location.rfind("//", 0) == 0) {
    target = from.scheme + ":" + std::string(location);
  } else if (location[0] == '/') {
    target = origin + std::string(location);
  } else if (location[0] == '?') {
    target = origin + from.path.substr(0, from.path.find('?')) + std::string(location);
  } else if (location[0] == '#') {
    target = origin + from.path;
  } else {
    const std::string path = from.path.substr(0, from.path.find('?'));
    target = origin + path.substr(0, path.rfind('/') + 1) + std::string(location);
  }
  return checkUrl(target);
}

}  // namespace vitals::net
