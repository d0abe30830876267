// The shared `nats:` reader and the client options built from it (agent and hub use both).
#include <catch2/catch.hpp>

#include <map>

#include "common/config/yaml_reader.hpp"
#include "common/nats/nats_client.hpp"
#include "common/nats/nats_settings.hpp"

using namespace vitals;
using namespace vitals::nats;

namespace {

// Files that exist (with their content) and environment variables, for the reader.
struct World {
  std::map<std::string, std::string> files;
  std::map<std::string, std::string> env;
  bool read_secrets = true;  // the hub reads password_file at load time; the agent does not

  NatsSources sources() const {
    NatsSources s;
    s.readable = [this](const std::string& path) -> Status {
      if (files.count(path) == 0) {
        return Error{"io", "no such file", path};
      }
      return okStatus();
    };
    if (read_secrets) {
      s.read_secret = [this](const std::string& path) -> Result<std::string> {
        auto it = files.find(path);
        if (it == files.end()) {
          return Error{"io", "no such file", path};
        }
        return it->second;
      };
    }
    if (!env.empty()) {
      s.env = [this](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
      };
    }
    return s;
  }
};

struct Read {
  NatsSettings settings;
  std::string problems;
};

Read read(const std::string& yaml, const World& world = {}) {
  config::Problems problems;
  Read r;
  if (auto root = config::YamlReader::loadString(yaml, "x.yaml", problems)) {
    readNatsSection(*root, world.sources(), r.settings);  // the section's own keys only
  }
  r.problems = problems.format();
  return r;
}

}  // namespace

TEST_CASE("no nats section gives the default URL and the password from the environment",
          "[common][unit][nats]") {
  World world;
  world.env["VITALS_NATS_PASSWORD"] = "from-env";
  const auto r = read("other: 1\n", world);
  CHECK(r.problems.empty());
  CHECK(r.settings.url == "nats://127.0.0.1:4222");
  CHECK(r.settings.password == "from-env");
}

TEST_CASE("every URL scheme either binary accepted is accepted by both", "[common][unit][nats]") {
  const std::string url = GENERATE(as<std::string>{}, "nats://a:4222", "tls://a:4222",
                                   "ws://a:8080", "wss://a:443", "nats://a:1,tls://b:2");
  const auto r = read("nats:\n  url: \"" + url + "\"\n");
  INFO(r.problems);
  CHECK(r.problems.empty());
  CHECK(r.settings.url == url);
}

TEST_CASE("a URL that is not nats, tls, ws or wss is refused with file and line",
          "[common][unit][nats]") {
  const std::string url =
      GENERATE(as<std::string>{}, "http://a:80", "a:4222", "nats://", "nats://a,", "");
  const auto r = read("nats:\n  url: \"" + url + "\"\n");
  CHECK_THAT(r.problems, Catch::Contains("x.yaml:2: nats.url: must be nats://host:port"));
}

TEST_CASE("password_file is read at load time when a secret reader is given",
          "[common][unit][nats]") {
  World world;
  world.files["/s/pw"] = "secret";
  world.env["VITALS_NATS_PASSWORD"] = "from-env";  // the file wins
  const auto r = read("nats:\n  user: hub\n  password_file: /s/pw\n", world);
  CHECK(r.problems.empty());
  CHECK(r.settings.user == "hub");
  CHECK(r.settings.password_file == "/s/pw");
  CHECK(r.settings.password == "secret");
}

TEST_CASE("without a secret reader password_file is only checked and read when connecting",
          "[common][unit][nats]") {
  World world;
  world.read_secrets = false;
  world.files["/s/pw"] = "secret";
  const auto r = read("nats:\n  user: agent\n  password_file: /s/pw\n", world);
  CHECK(r.problems.empty());
  CHECK(r.settings.password.empty());

  auto opts = toConnectOptions(
      r.settings, "vitals-agent a1", "a1", [](const std::string& path) -> Result<std::string> {
        return path == "/s/pw" ? Result<std::string>("secret") : Error{"io", "no such file", path};
      });
  REQUIRE(opts.ok());
  CHECK(opts->password == "secret");

  auto missing = r.settings;
  missing.password_file = "/gone";
  auto failed = toConnectOptions(missing, "vitals-agent a1", "a1",
                                 [](const std::string& path) -> Result<std::string> {
                                   return Error{"io", "no such file", path};
                                 });
  REQUIRE_FALSE(failed.ok());
  CHECK_THAT(failed.error().message, Catch::Contains("nats.password_file"));
}

TEST_CASE("contradicting or unreadable auth settings are each reported", "[common][unit][nats]") {
  World world;
  world.files["/s/creds"] = "x";
  const auto r = read(R"(nats:
  credentials_file: /s/creds
  user: u
  password: inline
  nkey: XKEY
  nkey_seed_file: /s/missing.nk
  inbox_prefix: "a.*"
  tls:
    cert_file: /s/creds
    bogus: 1
)",
                      world);
  CHECK_THAT(r.problems, Catch::Contains("x.yaml:3: nats.user: use either credentials_file or "
                                         "user/password_file, not both"));
  CHECK_THAT(r.problems,
             Catch::Contains("x.yaml:4: nats.password: secrets are not accepted inline"));
  CHECK_THAT(r.problems, Catch::Contains("x.yaml:5: nats.nkey: must be a user public key"));
  CHECK_THAT(r.problems,
             Catch::Contains("x.yaml:6: nats.nkey_seed_file: cannot read \"/s/missing.nk\": "
                             "no such file"));
  CHECK_THAT(r.problems, Catch::Contains("x.yaml:7: nats.inbox_prefix: must be subject tokens"));
  CHECK_THAT(r.problems, Catch::Contains("nats.tls.key_file: cert_file and key_file go together"));
  CHECK_THAT(r.problems, Catch::Contains("x.yaml:10: nats.tls.bogus: unknown key"));
}

TEST_CASE("keys only one binary has are read through the extra hook", "[common][unit][nats]") {
  config::Problems problems;
  auto root = config::YamlReader::loadString("nats:\n  publish_timeout: 3s\n  other: 1\n", "x.yaml",
                                             problems);
  REQUIRE(root);
  NatsSettings settings;
  std::optional<std::chrono::milliseconds> timeout;
  readNatsSection(*root, World{}.sources(), settings, [&](config::YamlReader& n) {
    timeout = n.duration("publish_timeout", std::chrono::milliseconds{100},
                         std::chrono::milliseconds{60000});
  });
  CHECK(timeout == std::chrono::milliseconds{3000});
  CHECK_THAT(problems.format(), Catch::Contains("x.yaml:3: nats.other: unknown key"));
  CHECK_THAT(problems.format(), !Catch::Contains("publish_timeout"));
}

TEST_CASE("connect options carry every setting and default the inbox to the identity",
          "[common][unit][nats]") {
  NatsSettings s;
  s.url = "tls://n:4222";
  s.user = "hub";
  s.password = "pw";
  s.tls_ca_file = "/ca.pem";
  s.tls_server_name = "n.example";
  auto o = toConnectOptions(s, "vitals-hub h1", "h1");
  REQUIRE(o.ok());
  CHECK(o->url == "tls://n:4222");
  CHECK(o->name == "vitals-hub h1");
  CHECK(o->user == "hub");
  CHECK(o->password == "pw");
  CHECK(o->tls.ca_file == "/ca.pem");
  CHECK(o->tls.server_name == "n.example");
  CHECK(o->inbox_prefix == "_INBOX_h1");

  s.inbox_prefix = "site.inbox";
  CHECK(toConnectOptions(s, "vitals-hub h1", "h1")->inbox_prefix == "site.inbox");
}
