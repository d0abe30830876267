// SSRF guard: a corpus of targets that must all be refused (numeric IPv4 spellings, IPv6 forms,
// schemes, userinfo tricks, names resolving to private addresses, redirects) and an allow
// corpus that must all pass, with a fake resolver.
#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <map>

#include "common/net/target_guard.hpp"

using namespace vitals;
using namespace vitals::net;

namespace {

IpAddress ip(const std::string& text) {
  if (text.find(':') != std::string::npos) {
    return *parseIpv6(text);
  }
  return *parseInetAton(text);
}

class FakeResolver : public Resolver {
 public:
  std::map<std::string, std::vector<std::string>> names = {
      {"example.com", {"93.184.216.34"}},
      {"www.example.org", {"93.184.216.34"}},
      {"api.example.net", {"151.101.1.69"}},
      {"v6only.example", {"2606:2800:220:1::"}},
      {"dual.example", {"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"}},
      {"xn--bcher-kva.example", {"8.8.4.4"}},
      {"public.example", {"1.1.1.1"}},
      {"status.corp.example", {"10.9.9.9"}},
      // Names that resolve to what must not be reached.
      {"internal.example", {"10.0.0.5"}},
      {"metadata.example", {"169.254.169.254"}},
      {"loop6.example", {"::1"}},
      {"mixed.example", {"93.184.216.34", "127.0.0.1"}},
      {"mapped.example", {"::ffff:127.0.0.1"}},
      {"rebind.example", {"0.0.0.0"}},
      {"cgnat.example", {"100.64.1.1"}},
      {"ula.example", {"fd00::1"}},
      {"nat64.example", {"64:ff9b::a9fe:a9fe"}},
      {"private172.example", {"172.20.1.1"}},
      {"empty.example", {}},
  };
  std::vector<std::string> asked;

  Result<std::vector<IpAddress>> resolve(const std::string& host) override {
    asked.push_back(host);
    auto it = names.find(host);
    if (it == names.end()) {
      return Error{"target.resolve", "no such host " + host, {}};
    }
    std::vector<IpAddress> out;
    for (const auto& a : it->second) {
      out.push_back(ip(a));
    }
    return out;
  }
};

GuardPolicy defaultPolicy() { return GuardPolicy{}; }

// ---- the block corpus ----

const std::vector<std::string> kBlockedUrls = {
    // loopback, every spelling
    "http://127.0.0.1/", "http://127.0.0.1:8080/admin", "http://127.1/", "http://127.0.1/",
    "http://2130706433/", "http://0x7f000001/", "http://0x7f.1/", "http://0x7f.0.0.1/",
    "http://017700000001/", "http://0177.0.0.1/", "http://0177.1/", "http://127.000.000.001/",
    "http://0x7F.0x0.0x0.0x1/", "http://127.0.0.1./", "http://127.255.255.254/",
    "HTTP://127.0.0.1/", "http://[::1]/", "http://[0:0:0:0:0:0:0:1]/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/", "http://[0:0:0:0:0:ffff:127.0.0.1]/", "http://[::127.0.0.1]/",
    "http://[64:ff9b::127.0.0.1]/", "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/",
    "http://[::ffff:0:127.0.0.1]/", "http://localhost/", "http://LOCALHOST:8080/",
    "http://localhost./", "http://foo.localhost/",
    // unspecified / "this network"
    "http://0/", "http://0.0.0.0/", "http://0x0/", "http://00000/", "http://0.1.2.3/", "http://[::]/",
    // private
    "http://10.0.0.1/", "http://10.255.255.255/", "http://012.0.0.1/", "http://0xa.0.0.1/",
    "http://167772161/", "http://172.16.0.1/", "http://172.31.255.255/", "http://0xac.0x10.0.1/",
    "http://192.168.1.1/", "https://192.168.0.1:8443/", "http://3232235777/", "http://0xc0a80101/",
    "http://0300.0250.1.1/", "http://192.168.257/", "http://[::ffff:10.0.0.1]/",
    "http://[::ffff:192.168.1.1]/", "http://[64:ff9b::10.0.0.1]/", "http://[2002:c0a8:101::]/",
    "http://[::ffff:a00:1]/",
    // link-local and cloud metadata
    "http://169.254.169.254/", "http://169.254.169.254/latest/meta-data/", "http://2852039166/",
    "http://0xa9fea9fe/", "http://0251.0376.0251.0376/", "http://169.254.43518/",
    "http://[fe80::1]/", "http://[FE80::abcd]/", "http://[febf::1]/",
    "http://[::ffff:169.254.169.254]/", "http://[fd00:ec2::254]/",
    // CGNAT, ULA, multicast
    "http://100.64.0.1/", "http://100.127.255.254/", "http://[::ffff:100.64.0.1]/",
    "http://[fc00::1]/", "http://[fd12:3456::1]/", "http://224.0.0.1/", "http://239.255.255.250/",
    "http://[ff02::1]/", "http://[ff05::1:3]/",
    // reserved, broadcast, documentation, benchmarking, special IPv6
    "http://240.0.0.1/", "http://255.255.255.255/", "http://4294967295/", "http://192.0.0.1/",
    "http://192.0.2.1/", "http://198.18.0.1/", "http://198.51.100.7/", "http://203.0.113.9/",
    "http://192.88.99.1/", "http://[2001:db8::1]/", "http://[2001::1]/", "http://[fec0::1]/",
    "http://[::2]/", "http://[100::1]/", "http://[2001:10::1]/",
    // schemes other than http(s)
    "file:///etc/passwd", "file://localhost/etc/passwd", "ftp://example.com/", "gopher://example.com/",
    "dict://example.com:11211/", "ldap://example.com/", "javascript:alert(1)",
    "data:text/plain,hi", "http:/example.com/", "jar:http://example.com!/", "ws://example.com/",
    // userinfo and encoding tricks
    "http://example.com@127.0.0.1/", "http://user:pass@example.com/", "http://127.0.0.1#@example.com/",
    "http://example.com\\@127.0.0.1/", "http://example.com%40127.0.0.1/", "http://%31%32%37.0.0.1/",
    "http://exa mple.com/", "http://example.com\t/", "http://ex\xc3\xa4mple.com/",
    // malformed hosts and ports
    "http://example.com:0/", "http://example.com:65536/", "http://example.com:99999/",
    "http://example.com:-1/", "http://example.com:80a/", "http://[::1/", "http://example.com:/",
    "http://1.2.3.4.5/", "http://256.1.1.1/", "http://08.1.1.1/", "http://0x100000000/",
    "http://[fe80::1%25eth0]/", "http://[::1]:80x/", "http:///path", "http://.example.com/",
    "http://exa..mple.com/",
    // names that resolve to blocked addresses, or do not resolve
    "http://internal.example/", "http://metadata.example/latest/meta-data/", "http://loop6.example/",
    "http://mixed.example/", "http://mapped.example/", "http://rebind.example/",
    "http://cgnat.example/", "http://ula.example/", "http://nat64.example/",
    "http://private172.example/", "http://empty.example/", "http://nx.example/",
};

struct TcpCase {
  std::string host;
  int port;
};
const std::vector<TcpCase> kBlockedTcp = {
    {"127.0.0.1", 22},       {"localhost", 6379},      {"0x7f.1", 5432},  {"[::1]", 80},
    {"::1", 80},             {"10.0.0.1", 443},        {"internal.example", 5432},
    {"8.8.8.8", 0},          {"8.8.8.8", 70000},       {"2130706433", 22},
    {"169.254.169.254", 80}, {"::ffff:192.168.0.1", 80}, {"mixed.example", 443},
    {"exa mple.com", 80},    {"", 80},
};

const std::vector<std::string> kBlockedRedirects = {
    "http://127.0.0.1/",        "//127.0.0.1/x",         "http://[::1]/",
    "http://169.254.169.254/latest", "file:///etc/passwd", "gopher://example.com/",
    "http://internal.example/", "/\\127.0.0.1/",          "http://2130706433/",
    "https://0x7f.1/",          "//localhost/",          "http://user@example.com/",
    "ftp://example.com/",       "",                       "//[fe80::1]/",
};

// ---- the allow corpus ----

const std::vector<std::string> kAllowedUrls = {
    "http://93.184.216.34/", "https://8.8.8.8/", "http://1.1.1.1:8080/health",
    "https://[2606:4700:4700::1111]/", "http://[2001:4860:4860::8888]:8443/x?y=1",
    "https://example.com/", "https://www.example.org/path?q=1#frag", "http://api.example.net:8080/health",
    "https://v6only.example/", "http://dual.example/", "http://[::ffff:8.8.8.8]/",
    "http://172.15.255.255/", "http://172.32.0.1/", "http://100.63.255.255/", "http://100.128.0.1/",
    "http://192.169.0.1/", "http://169.255.0.1/", "http://11.0.0.1/", "http://126.255.255.255/",
    "http://128.0.0.1/", "http://223.255.255.254/", "http://198.20.0.1/",
    "http://xn--bcher-kva.example/", "HTTP://EXAMPLE.COM/", "https://example.com:443/",
    "https://example.com./", "http://134744072/", "http://0x08080808/", "http://8.8.2056/",
    "http://[2a00:1450:4001:80b::200e]/",
};

const std::vector<TcpCase> kAllowedTcp = {
    {"example.com", 443}, {"8.8.8.8", 53}, {"2001:4860:4860::8888", 443},
    {"[2606:4700:4700::1111]", 853}, {"public.example", 1},
};

}  // namespace

TEST_CASE("the SSRF guard refuses every target of the block corpus", "[common][unit][ssrf]") {
  FakeResolver resolver;
  TargetGuard guard(defaultPolicy(), resolver);
  const auto from = guard.checkUrl("https://public.example/a/b?x=1");
  REQUIRE(from.ok());

  std::size_t cases = 0;
  std::vector<std::string> passed;  // must stay empty
  for (const auto& url : kBlockedUrls) {
    ++cases;
    auto r = guard.checkUrl(url);
    if (r.ok()) {
      passed.push_back(url + " -> " + r->address.toString());
    } else {
      CHECK((r.error().code == "target.invalid" || r.error().code == "target.blocked" ||
             r.error().code == "target.resolve"));
    }
  }
  for (const auto& t : kBlockedTcp) {
    ++cases;
    if (auto r = guard.checkHostPort(t.host, t.port); r.ok()) {
      passed.push_back("tcp " + t.host + ":" + std::to_string(t.port));
    }
  }
  for (const auto& location : kBlockedRedirects) {
    ++cases;
    if (auto r = guard.validateRedirect(from.value(), location); r.ok()) {
      passed.push_back("redirect to " + location + " -> " + r->url);
    }
  }
  INFO("passed the guard:\n" << [&] {
    std::string s;
    for (const auto& p : passed) {
      s += "  " + p + "\n";
    }
    return s;
  }());
  CHECK(cases >= 100);
  CHECK(passed.empty());
}

TEST_CASE("the SSRF guard lets every target of the allow corpus through, pinned to the "
          "resolved address",
          "[common][unit][ssrf]") {
  FakeResolver resolver;
  TargetGuard guard(defaultPolicy(), resolver);
  std::vector<std::string> refused;  // must stay empty
  for (const auto& url : kAllowedUrls) {
    if (auto r = guard.checkUrl(url); !r.ok()) {
      refused.push_back(url + ": " + r.error().message);
    }
  }
  for (const auto& t : kAllowedTcp) {
    if (auto r = guard.checkHostPort(t.host, t.port); !r.ok()) {
      refused.push_back("tcp " + t.host + ": " + r.error().message);
    }
  }
  INFO("refused:\n" << [&] {
    std::string s;
    for (const auto& p : refused) {
      s += "  " + p + "\n";
    }
    return s;
  }());
  CHECK(refused.empty());

  auto pinned = guard.checkUrl("https://www.example.org/path?q=1#frag");
  REQUIRE(pinned.ok());
  CHECK(pinned->address.toString() == "93.184.216.34");
  CHECK(pinned->host == "www.example.org");
  CHECK(pinned->port == 443);
  CHECK(pinned->path == "/path?q=1");
  CHECK(pinned->url == "https://www.example.org/path?q=1");
  auto v6 = guard.checkUrl("http://[2001:4860:4860::8888]:8443/x");
  REQUIRE(v6.ok());
  CHECK(v6->url == "http://[2001:4860:4860::8888]:8443/x");
  CHECK(v6->address.v6);
  auto numeric = guard.checkUrl("http://134744072/");
  REQUIRE(numeric.ok());
  CHECK(numeric->address.toString() == "8.8.8.8");  // pinned to what inet_aton reads
}

TEST_CASE("names that resolve to private addresses are refused with the address and the reason, "
          "and a name is resolved once",
          "[common][unit][ssrf]") {
  FakeResolver resolver;
  TargetGuard guard(defaultPolicy(), resolver);
  auto r = guard.checkUrl("http://metadata.example/latest/meta-data/");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "target.blocked");
  CHECK(r.error().message ==
        "\"metadata.example\" resolves to 169.254.169.254, which is link-local (169.254.0.0/16)");
  auto mixed = guard.checkUrl("http://mixed.example/");
  REQUIRE_FALSE(mixed.ok());
  CHECK(mixed.error().message.find("127.0.0.1") != std::string::npos);
  auto nat64 = guard.checkUrl("http://nat64.example/");
  REQUIRE_FALSE(nat64.ok());
  CHECK(nat64.error().message.find("NAT64 form of 169.254.169.254") != std::string::npos);
  resolver.asked.clear();
  REQUIRE(guard.checkUrl("https://example.com/").ok());
  CHECK(resolver.asked == std::vector<std::string>{"example.com"});
  // Literals and loopback names never reach the resolver.
  resolver.asked.clear();
  CHECK_FALSE(guard.checkUrl("http://0x7f.1/").ok());
  CHECK_FALSE(guard.checkUrl("http://localhost/").ok());
  CHECK(resolver.asked.empty());
}

TEST_CASE("allowlisted CIDRs and host names pass although private", "[common][unit][ssrf]") {
  FakeResolver resolver;
  GuardPolicy policy;
  policy.allow_cidrs = {*Cidr::parse("10.1.0.0/16"), *Cidr::parse("fd00::/8")};
  policy.allow_hosts = {"*.corp.example"};
  TargetGuard guard(policy, resolver);
  CHECK(guard.checkUrl("http://10.1.2.3/").ok());
  CHECK(guard.checkUrl("http://[fd00::5]/").ok());
  CHECK(guard.checkUrl("http://ula.example/").ok());  // resolves into the allowed fd00::/8
  auto corp = guard.checkUrl("http://status.corp.example/");
  REQUIRE(corp.ok());
  CHECK(corp->address.toString() == "10.9.9.9");
  CHECK_FALSE(guard.checkUrl("http://10.2.0.1/").ok());
  CHECK_FALSE(guard.checkUrl("http://corp.example.evil/").ok());
  CHECK_FALSE(guard.checkUrl("http://127.0.0.1/").ok());
  GuardPolicy ports;
  ports.min_port = 80;
  ports.max_port = 443;
  TargetGuard port_guard(ports, resolver);
  CHECK(port_guard.checkUrl("https://example.com/").ok());
  CHECK_FALSE(port_guard.checkUrl("http://example.com:8080/").ok());
  CHECK_FALSE(port_guard.checkHostPort("example.com", 22).ok());
}

TEST_CASE("redirects are resolved against the current URL and validated again",
          "[common][unit][ssrf]") {
  FakeResolver resolver;
  TargetGuard guard(defaultPolicy(), resolver);
  auto from = guard.checkUrl("https://example.com/a/b?x=1");
  REQUIRE(from.ok());
  auto expect = [&](const std::string& location, const std::string& url) {
    auto r = guard.validateRedirect(from.value(), location);
    INFO(location);
    REQUIRE(r.ok());
    CHECK(r->url == url);
  };
  expect("/c", "https://example.com/c");
  expect("d", "https://example.com/a/d");
  expect("?y=2", "https://example.com/a/b?y=2");
  expect("//www.example.org/z", "https://www.example.org/z");
  expect("http://api.example.net:8080/h", "http://api.example.net:8080/h");
  auto to_loopback = guard.validateRedirect(from.value(), "http://127.0.0.1/");
  REQUIRE_FALSE(to_loopback.ok());
  CHECK(to_loopback.error().code == "target.blocked");
  auto to_internal = guard.validateRedirect(from.value(), "/x");
  REQUIRE(to_internal.ok());
  auto internal_from = PinnedTarget{"http", "internal.example", ip("10.0.0.5"), 80, "/", ""};
  // A relative redirect on a host that resolves privately is re-resolved and refused.
  CHECK_FALSE(guard.validateRedirect(internal_from, "/next").ok());
}

TEST_CASE("parseInetAton reads numbers exactly like glibc's inet_aton", "[common][unit][ssrf]") {
  const std::vector<std::string> corpus = {
      "127.0.0.1", "127.1", "127.0.1", "2130706433", "0x7f000001", "0x7f.1", "017700000001",
      "0177.0.0.1", "0x7F.0x0.0x0.0x1", "192.168.257", "169.254.43518", "0", "00000", "0x0",
      "4294967295", "4294967296", "256.1.1.1", "1.256.1.1", "1.2.65536", "1.2.65535", "08.1.1.1",
      "0x100000000", "1.2.3.4.5", "1..2", ".1.2.3", "1.2.3.", "0x", "0x.1", "09", "0xg", "1e3",
      "0xffffffff", "037777777777", "040000000000", "1.0x100.1", "1.0xff.1", "1.16777215",
      "1.16777216", "255.255.255.255", "0300.0250.1.1", "00x1", "0x0x1", "",
  };
  for (const auto& text : corpus) {
    in_addr libc{};
    const bool libc_ok = inet_aton(text.c_str(), &libc) != 0;
    const auto ours = parseInetAton(text);
    INFO("\"" << text << "\"");
    CHECK(ours.has_value() == libc_ok);
    if (ours && libc_ok) {
      CHECK(ours->v4Value() == ntohl(libc.s_addr));
    }
  }
}

TEST_CASE("blockedReason names the range of an address", "[common][unit][ssrf]") {
  CHECK(blockedReason(ip("127.0.0.1")) == std::optional<std::string>("loopback (127.0.0.0/8)"));
  CHECK(blockedReason(ip("::ffff:10.1.1.1")) ==
        std::optional<std::string>("IPv4-mapped form of 10.1.1.1: private (10.0.0.0/8)"));
  CHECK(blockedReason(ip("fe80::1")) == std::optional<std::string>("link-local (fe80::/10)"));
  CHECK_FALSE(blockedReason(ip("8.8.8.8")).has_value());
  CHECK_FALSE(blockedReason(ip("2606:4700:4700::1111")).has_value());
  CHECK(Cidr::parse("10.0.0.0/8")->contains(ip("10.200.0.1")));
  CHECK_FALSE(Cidr::parse("10.0.0.0/8")->contains(ip("11.0.0.1")));
  CHECK_FALSE(Cidr::parse("10.0.0.0/33").has_value());
  CHECK_FALSE(Cidr::parse("10.1/8").has_value());  // CIDRs are strict dotted quads
}
