// The hub's NATS auth/TLS config keys (the nats-server side is `vitalsctl nats-config`, tested in
// tests/unit/ctl/nats_config_test.cpp).
#include <catch2/catch.hpp>
#include <map>

#include "hub/config/hub_config.hpp"

using namespace vitals;

namespace {

hub::ConfigSources sources(std::map<std::string, std::string> files) {
  hub::ConfigSources s;
  s.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  s.read_file = [files](const std::string& path) -> Result<std::string> {
    auto it = files.find(path);
    if (it == files.end()) {
      return Error{"io", "no such file", path};
    }
    return it->second;
  };
  return s;
}

}  // namespace

TEST_CASE("hub config reads nats nkey, inbox_prefix and tls keys and names bad ones by line",
          "[hub][unit][nats]") {
  config::Problems problems;
  auto cfg = hub::parseHubConfig(R"(hub_id: hub-a
nats:
  url: tls://nats.example:4222
  nkey: UABC
  nkey_seed_file: /s/hub.nk
  inbox_prefix: _INBOX_hub-a
  tls:
    ca_file: /s/ca.pem
    cert_file: /s/hub.pem
    key_file: /s/hub.key
    server_name: nats.example
)",
                                 "hub.yaml",
                                 sources({{"/s/hub.nk", "SU..."},
                                          {"/s/ca.pem", "x"},
                                          {"/s/hub.pem", "x"},
                                          {"/s/hub.key", "x"}}),
                                 problems);
  INFO(problems.format());
  REQUIRE(cfg.has_value());
  CHECK(cfg->nats.nkey == "UABC");
  CHECK(cfg->nats.nkey_seed_file == "/s/hub.nk");
  CHECK(cfg->nats.inbox_prefix == "_INBOX_hub-a");
  CHECK(cfg->nats.tls_ca_file == "/s/ca.pem");
  CHECK(cfg->nats.tls_cert_file == "/s/hub.pem");
  CHECK(cfg->nats.tls_key_file == "/s/hub.key");
  CHECK(cfg->nats.tls_server_name == "nats.example");

  config::Problems bad;
  CHECK_FALSE(hub::parseHubConfig(R"(nats:
  password: hunter2
  nkey: XABC
  nkey_seed_file: /s/missing
  inbox_prefix: "_INBOX.>"
  tls:
    cert_file: /s/hub.pem
    verify: true
)",
                                  "hub.yaml", sources({{"/s/hub.pem", "x"}}), bad)
                  .has_value());
  const auto text = bad.format();
  CHECK(text.find("hub.yaml:2: nats.password: secrets are not accepted inline") !=
        std::string::npos);
  CHECK(text.find("hub.yaml:3: nats.nkey: must be a user public key") != std::string::npos);
  CHECK(text.find("hub.yaml:4: nats.nkey_seed_file: cannot read") != std::string::npos);
  CHECK(text.find("hub.yaml:5: nats.inbox_prefix:") != std::string::npos);
  CHECK(text.find("hub.yaml:7: nats.tls.key_file: cert_file and key_file go together") != std::string::npos);
  CHECK(text.find("hub.yaml:8: nats.tls.verify: unknown key") != std::string::npos);
  CHECK(text.find("hunter2") == std::string::npos);  // the password itself is never echoed
}
