// `vitalsctl nats-config` (the nats-server authorization block generator). The generated block is also run against a real nats-server by
// tests/integration/nats_isolation_test.cpp.
#include <crypt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "ctl/nats_config.hpp"

using namespace vitals;
using namespace vitals::ctl;

namespace {

NatsConfigDeps fakeDeps() {
  auto counter = std::make_shared<int>(0);
  NatsConfigDeps d;
  d.new_password = [counter] { return "pw" + std::to_string(++*counter); };
  d.hash_password = [](const std::string& p) -> Result<std::string> { return "hash(" + p + ")"; };
  d.new_nkey = [counter]() -> Result<std::pair<std::string, std::string>> {
    const auto n = std::to_string(++*counter);
    return std::pair<std::string, std::string>{"UPUB" + n, "SUSEED" + n};
  };
  return d;
}

}  // namespace

TEST_CASE("nats-config gives each agent only its own subjects and inbox, and the hub its own",
          "[ctl][unit][nats]") {
  NatsConfigRequest r;
  r.agents = {"a1", "a2"};
  r.hub_id = "hub-main";
  auto out = generateNatsConfig(r, fakeDeps());
  REQUIRE(out.ok());
  const auto& text = out->authorization;
  REQUIRE(out->identities.size() == 3);
  CHECK(out->identities[0].user == "hub");
  CHECK(out->identities[1].user == "a1");
  CHECK(out->identities[1].password == "pw2");
  CHECK(out->identities[1].password_hash == "hash(pw2)");
  // Only hashes reach the config.
  CHECK(text.find("\"hash(pw2)\"") != std::string::npos);
  CHECK(text.find("\"pw2\"") == std::string::npos);
  CHECK(text.find("publish: { allow: [\"vitals.agent.a1.>\"], deny: [\"$SYS.>\"] }") !=
        std::string::npos);
  CHECK(text.find("subscribe: { allow: [\"vitals.cmd.a1.>\", \"_INBOX_a1.>\"], deny: "
                  "[\"$SYS.>\"] }") != std::string::npos);
  CHECK(text.find("subscribe: { allow: [\"_INBOX_hub-main.>\"") != std::string::npos);
  CHECK(text.find("\"$JS.ACK.VITALS.>\"") != std::string::npos);
  // No agent line mentions another agent, the JetStream API or a wildcard over agents.
  std::istringstream lines(text);
  std::string line;
  bool in_a1 = false;
  while (std::getline(lines, line)) {
    if (line.find("# agent ") != std::string::npos) {
      in_a1 = line.find("# agent a1") != std::string::npos;
    }
    if (in_a1) {
      CHECK(line.find("a2") == std::string::npos);
      CHECK(line.find("allow: [\"$JS") == std::string::npos);
      CHECK(line.find("vitals.agent.>") == std::string::npos);
      CHECK(line.find("\"_INBOX.>\"") == std::string::npos);
    }
  }
  CHECK(agentPublishAllow("web-01") == std::vector<std::string>{"vitals.agent.web-01.>"});
  CHECK(agentSubscribeAllow("web-01") ==
        std::vector<std::string>{"vitals.cmd.web-01.>", "_INBOX_web-01.>"});
}

TEST_CASE("nats-config refuses bad agent ids, duplicates and a hub user that is also an agent",
          "[ctl][unit][nats]") {
  auto refused = [](std::vector<std::string> agents, std::string hub_user = "hub") {
    NatsConfigRequest r;
    r.agents = std::move(agents);
    r.hub_user = std::move(hub_user);
    auto out = generateNatsConfig(r, fakeDeps());
    return out.ok() ? std::string() : out.error().message;
  };
  CHECK(refused({}) == "--agents needs at least one agent id");
  CHECK(refused({"a.1"}).find("agent id \"a.1\"") == 0);
  CHECK(refused({"a>"}).find("agent id \"a>\"") == 0);
  CHECK(refused({"a1", "a1"}) == "agent id \"a1\" is listed twice");
  CHECK(refused({"a1", "hub"}) == "--hub-user \"hub\" is also an agent id");
  CHECK(refused({"a1"}, "h*").find("--hub-user") == 0);
  CHECK(refused({"a1", "a2"}).empty());
}

TEST_CASE("vitalsctl nats-config writes one password file per identity, mode 0600, and prints "
          "the block",
          "[ctl][unit][nats]") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("vitals-nats-config-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ostringstream out, err;
  CHECK(runNatsConfig({"--agents", "a1,a2", "--secrets-dir", dir.string()}, fakeDeps(), out,
                      err) == 0);
  CHECK(err.str().empty());
  CHECK(out.str().find("authorization {") != std::string::npos);
  for (const auto& [user, pw] : std::map<std::string, std::string>{
           {"hub", "pw1"}, {"a1", "pw2"}, {"a2", "pw3"}}) {
    const auto path = (dir / (user + ".password")).string();
    std::ifstream f(path);
    std::string content;
    std::getline(f, content);
    CHECK(content == pw);
    struct stat st{};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
  std::ostringstream out2, err2;
  CHECK(runNatsConfig({"--agents", "a1"}, fakeDeps(), out2, err2) == 2);
  CHECK(err2.str().find("--secrets-dir is required") != std::string::npos);
  CHECK(runNatsConfig({"--agents", "a.b", "--secrets-dir", dir.string()}, fakeDeps(), out2,
                      err2) == 2);
  CHECK(runNatsConfig({"--bogus", "x"}, fakeDeps(), out2, err2) == 2);
  CHECK(runNatsConfig({"--agents", "a1", "--secrets-dir", (dir / "missing").string()},
                      fakeDeps(), out2, err2) == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the system password hash is bcrypt that verifies, and passwords are random",
          "[ctl][unit][nats]") {
  const auto deps = systemNatsConfigDeps();
  const auto a = deps.new_password();
  const auto b = deps.new_password();
  CHECK(a.size() == 32);
  CHECK(a != b);
  auto hash = deps.hash_password(a);
  REQUIRE(hash.ok());
  CHECK(hash->rfind("$2b$11$", 0) == 0);
  crypt_data data{};
  CHECK(std::string(::crypt_r(a.c_str(), hash->c_str(), &data)) == hash.value());
  crypt_data other{};
  CHECK(std::string(::crypt_r(b.c_str(), hash->c_str(), &other)) != hash.value());
}

TEST_CASE("nats-config --auth nkey lists public keys only and writes the seeds to files",
          "[ctl][unit][nats]") {
  NatsConfigRequest r;
  r.agents = {"a1"};
  r.nkeys = true;
  auto out = generateNatsConfig(r, fakeDeps());
  REQUIRE(out.ok());
  const auto& text = out->authorization;
  CHECK(text.find("nkey: \"UPUB1\"  # hub") != std::string::npos);
  CHECK(text.find("nkey: \"UPUB2\"  # a1") != std::string::npos);
  CHECK(text.find("password:") == std::string::npos);
  CHECK(text.find("SUSEED") == std::string::npos);
  CHECK(text.find("publish: { allow: [\"vitals.agent.a1.>\"]") != std::string::npos);

  const auto dir = std::filesystem::temp_directory_path() /
                   ("vitals-nats-nkeys-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ostringstream o, e;
  REQUIRE(runNatsConfig({"--agents", "a1", "--auth", "nkey", "--secrets-dir", dir.string()},
                        fakeDeps(), o, e) == 0);
  std::ifstream seed(dir / "a1.nk");
  std::string line;
  std::getline(seed, line);
  CHECK(line == "SUSEED2");
  std::ifstream pub(dir / "a1.pub");
  std::getline(pub, line);
  CHECK(line == "UPUB2");
  CHECK_FALSE(std::filesystem::exists(dir / "a1.password"));
  CHECK(runNatsConfig({"--agents", "a1", "--auth", "jwt", "--secrets-dir", dir.string()},
                      fakeDeps(), o, e) == 2);
  std::filesystem::remove_all(dir);
}

TEST_CASE("NKEY encodings have the user prefixes and lengths of the nkeys format",
          "[ctl][unit][nats]") {
  std::array<unsigned char, 32> zeros{};
  const auto pub = encodeNkeyPublicUser(zeros);
  const auto seed = encodeNkeySeedUser(zeros);
  CHECK(pub.size() == 56);
  CHECK(pub[0] == 'U');
  CHECK(seed.size() == 58);
  CHECK(seed.rfind("SU", 0) == 0);
  CHECK(pub.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == std::string::npos);
  auto keys = systemNatsConfigDeps().new_nkey();
  REQUIRE(keys.ok());
  CHECK(keys->first.size() == 56);
  CHECK(keys->second.rfind("SU", 0) == 0);
}

TEST_CASE("nats-config event sources may only publish their own events subject",
          "[ctl][unit][nats]") {
  NatsConfigRequest r;
  r.agents = {"a1"};
  r.event_sources = {"alertmanager"};
  auto out = generateNatsConfig(r, fakeDeps());
  REQUIRE(out.ok());
  CHECK(out->identities.back().user == "alertmanager");
  CHECK(out->authorization.find("publish: { allow: [\"vitals.events.alertmanager\"], deny: "
                                "[\"$SYS.>\"] }") != std::string::npos);
  CHECK(out->authorization.find("subscribe: { allow: [\"_INBOX_alertmanager.>\"]") !=
        std::string::npos);
  r.event_sources = {"a1"};
  CHECK_FALSE(generateNatsConfig(r, fakeDeps()).ok());
  r.event_sources = {"hub"};
  CHECK_FALSE(generateNatsConfig(r, fakeDeps()).ok());
  r.event_sources = {"x.y"};
  CHECK_FALSE(generateNatsConfig(r, fakeDeps()).ok());
}
