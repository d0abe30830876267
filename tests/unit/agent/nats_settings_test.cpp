// The agent's NATS auth/TLS keys (nkey, inbox_prefix, tls.*): read, and refused with file:line.
#include <catch2/catch.hpp>

#include "agent/config/config_loader.hpp"

using namespace vitals;
using namespace vitals::agent;

namespace {

std::optional<AgentConfig> load(const std::string& yaml, config::Problems& problems) {
  LoadOptions o;
  o.hostname = "web-01";
  o.readable = [](const std::string& path) { return path.rfind("/secrets/", 0) == 0; };
  return parseAgentConfig(yaml, "agent.yaml", o, problems);
}

}  // namespace

TEST_CASE("agent nats nkey, inbox_prefix and tls keys are read", "[agent][unit][nats]") {
  config::Problems problems;
  auto cfg = load(R"(agent_id: a1
nats:
  url: tls://nats.example:4222
  nkey: UAGENT
  nkey_seed_file: /secrets/a1.nk
  inbox_prefix: _INBOX_a1
  tls:
    ca_file: /secrets/ca.pem
    cert_file: /secrets/a1.pem
    key_file: /secrets/a1.key
    server_name: nats.example
)",
                  problems);
  INFO(problems.format());
  REQUIRE(cfg.has_value());
  CHECK(cfg->nats.nkey == "UAGENT");
  CHECK(cfg->nats.nkey_seed_file == "/secrets/a1.nk");
  CHECK(cfg->nats.inbox_prefix == "_INBOX_a1");
  CHECK(cfg->nats.tls_ca_file == "/secrets/ca.pem");
  CHECK(cfg->nats.tls_cert_file == "/secrets/a1.pem");
  CHECK(cfg->nats.tls_key_file == "/secrets/a1.key");
  CHECK(cfg->nats.tls_server_name == "nats.example");
}

TEST_CASE("bad agent nats auth/tls keys are refused with file and line", "[agent][unit][nats]") {
  config::Problems problems;
  CHECK_FALSE(load(R"(agent_id: a1
nats:
  user: a1
  password_file: /secrets/a1.password
  nkey: UAGENT
  nkey_seed_file: /elsewhere/a1.nk
  inbox_prefix: "_INBOX.*"
  tls:
    key_file: /secrets/a1.key
    ca: /secrets/ca.pem
)",
                   problems)
                  .has_value());
  const auto text = problems.format();
  INFO(text);
  CHECK(text.find("agent.yaml:5: nats.nkey: use one of credentials_file, user/password_file or "
                  "nkey") != std::string::npos);
  CHECK(text.find("agent.yaml:6: nats.nkey_seed_file: cannot read") != std::string::npos);
  CHECK(text.find("agent.yaml:7: nats.inbox_prefix:") != std::string::npos);
  CHECK(text.find("nats.tls.cert_file: cert_file and key_file go together") != std::string::npos);
  CHECK(text.find("agent.yaml:10: nats.tls.ca: unknown key") != std::string::npos);

  config::Problems half;
  CHECK_FALSE(load("agent_id: a1\nnats:\n  nkey: UAGENT\n", half).has_value());
  CHECK(half.format().find("agent.yaml:3: nats.nkey: nkey and nkey_seed_file go together") !=
        std::string::npos);
}
