// kind: tcp — see docs/configuration-agent.md "kind: tcp".
#include "agent/config/kinds/kind_readers.hpp"
#include "common/net/target_guard.hpp"

namespace vitals::agent::kinds {

void readTcp(config::YamlReader& c, const LoadOptions&, CheckConfig& check) {
  TcpCheckSpec tcp;
  if (c.boolean("restrict_targets", false)) {
    tcp.restrict_targets = std::make_shared<const net::GuardPolicy>();  // allowlist added later
  }
  if (auto host = c.str("host")) {
    if (!validHost(*host)) {
      c.problem("host", "must be a host name or IP address, got \"" + *host + "\"");
    }
    tcp.host = *host;
  } else {
    c.problem("host", "is required for kind tcp");
  }
  if (auto port = c.integer("port", 1, 65535)) {
    tcp.port = static_cast<std::uint16_t>(*port);
  } else if (!c.has("port")) {
    c.problem("port", "is required for kind tcp");
  }
  tcp.send = c.str("send", "");
  if (auto expect = c.str("expect")) {
    if (expect->empty()) {
      c.problem("expect", "must not be empty");
    } else if (expect->size() > 1024) {
      c.problem("expect", "must be at most 1024 bytes");
    }
    tcp.expect = *expect;
  }
  check.spec = std::move(tcp);
}

}  // namespace vitals::agent::kinds
