#pragma once
// SSRF guard for probe targets that come from outside the agent's own config (e.g. checks added
// through the API): only http/https URLs and TCP host:port targets whose every resolved address
// is public (or allowlisted) pass. The caller must connect to exactly the pinned address it gets
// back (no second lookup: DNS rebinding), and must re-validate every redirect with
// validateRedirect(). What is blocked, and why, is listed in docs/security.md.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/result.hpp"
#include "common/net/url.hpp"

namespace vitals::net {

// An IPv4 or IPv6 address (IPv4 in the first 4 bytes).
struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};

  static IpAddress v4(std::uint32_t host_order);
  std::uint32_t v4Value() const;  // host order; only for !v6
  std::string toString() const;   // 127.0.0.1, ::ffff:127.0.0.1, 2001:db8::1
  bool operator==(const IpAddress& o) const { return v6 == o.v6 && bytes == o.bytes; }
};

// IPv4 the way inet_aton(3) reads it: 1 to 4 parts, each decimal, octal (leading 0) or hex
// (0x); the last part fills the remaining bytes ("127.1", "0x7f.1", "2130706433",
// "017700000001"). nullopt when it is not such a number.
std::optional<IpAddress> parseInetAton(std::string_view text);
// An IPv6 literal without brackets; zone ids ("%eth0") are refused.
std::optional<IpAddress> parseIpv6(std::string_view text);

struct Cidr {
  IpAddress base;
  int prefix = 0;
  // "10.0.0.0/8", "fd00::/8", or a single address.
  static std::optional<Cidr> parse(std::string_view text);
  bool contains(const IpAddress& a) const;
};

// Why an address must not be a probe target (private, loopback, link-local, CGNAT, multicast,
// reserved, documentation, IPv4 embedded in IPv6 forms of those...), or nullopt if it is a
// public unicast address.
std::optional<std::string> blockedReason(const IpAddress& a);

// Name resolution seam: SystemResolver uses getaddrinfo(); tests use a fake.
class Resolver {
 public:
  virtual ~Resolver() = default;
  virtual Result<std::vector<IpAddress>> resolve(const std::string& host) = 0;
};

class SystemResolver : public Resolver {
 public:
  Result<std::vector<IpAddress>> resolve(const std::string& host) override;
};

// Answers with addresses someone else already looked up (a probe's own asynchronous lookup), or
// with the error code "target.unresolved" when it has none: the caller resolves the name and
// asks again with the answer. Lets the guard judge names without blocking a loop thread.
class StaticResolver : public Resolver {
 public:
  StaticResolver() = default;
  explicit StaticResolver(std::vector<IpAddress> addresses)
      : addresses_(std::move(addresses)), known_(true) {}
  Result<std::vector<IpAddress>> resolve(const std::string& host) override;

 private:
  std::vector<IpAddress> addresses_;
  bool known_ = false;
};

struct GuardPolicy {
  std::vector<Cidr> allow_cidrs;         // addresses allowed although not public
  std::vector<std::string> allow_hosts;  // "status.internal" or "*.internal": any address
  int min_port = 1;
  int max_port = 65535;
};

// A validated target: connect to `address`:`port`; send `host` as Host header / TLS SNI.
struct PinnedTarget {
  std::string scheme;  // "http", "https" or "tcp"
  std::string host;    // lower-case host as written (no brackets), for Host/SNI
  IpAddress address;
  int port = 0;
  std::string path;  // path + query of a URL ("/" when empty); fragment dropped
  std::string url;   // normalised URL (empty for tcp targets)
};

// parseUrl() with the guard's stricter rules, before any resolution (pure; exposed for tests):
// http or https only; no non-ASCII or backslash anywhere, no percent-encoding in the host; the
// host is a valid name (trailing dot removed), an inet_aton(3) IPv4 form or an IPv6 literal.
// Error code "target.invalid".
Result<Url> parseHttpUrl(std::string_view url);

// Error codes: "target.invalid" (malformed, bad scheme, userinfo, port), "target.blocked"
// (a non-public address), "target.resolve" (the name did not resolve).
class TargetGuard {
 public:
  TargetGuard(GuardPolicy policy, Resolver& resolver);

  Result<PinnedTarget> checkUrl(std::string_view url) const;
  Result<PinnedTarget> checkHostPort(std::string_view host, int port) const;
  // Resolves `location` (absolute, scheme-relative, absolute-path or relative) against `from`
  // and validates the result like checkUrl.
  Result<PinnedTarget> validateRedirect(const PinnedTarget& from, std::string_view location) const;

 private:
  Result<IpAddress> pin(const std::string& host, bool ipv6_literal) const;
  bool hostAllowlisted(const std::string& host) const;
  bool addressAllowlisted(const IpAddress& a) const;

  GuardPolicy policy_;
  Resolver& resolver_;
};

}  // namespace vitals::net
