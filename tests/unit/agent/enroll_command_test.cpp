// `vitals-agent enroll` over a fake hub and key generator: what it checks before sending, what
// it sends (the public key only), what it writes (mode 0600, only after the hub accepted), and
// that every refusal leaves the node's folder as it was.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/enroll/enroll_command.hpp"

using namespace vitals;
using namespace vitals::agent::enroll;
namespace fs = std::filesystem;

namespace {

const std::string kToken = "ve_" + std::string(43, 'T');
const std::string kPublic = "U" + std::string(55, 'A');
const std::string kSeed = "SU" + std::string(56, 'S');

struct Node {
  fs::path dir;
  int posts = 0;
  std::string last_url, last_body;
  HttpAnswer answer{201, R"({"agent_id":"web-01","hub_id":"hub-x","nats":{"url":"tls://nats:4222"},
                            "labels":{"site":"east"},"bus":{"applied":true}})"};
  bool unreachable = false;
  EnrollDeps deps;

  Node() {
    dir = fs::temp_directory_path() /
          ("vitals-enroll-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::remove_all(dir);
    fs::create_directories(dir);
    deps.hostname = "web-01.example.com";
    deps.new_key = [] { return Result<nkeys::UserKeyPair>(nkeys::UserKeyPair{kPublic, kSeed}); };
    deps.post = [this](const std::string& url, const std::string& body,
                       const std::string&) -> Result<HttpAnswer> {
      ++posts;
      last_url = url;
      last_body = body;
      if (unreachable) {
        return Error{"enroll.http", "Connection refused", {}};
      }
      return answer;
    };
  }
  ~Node() { fs::remove_all(dir); }
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::string config() const { return (dir / "agent.yaml").string(); }
  bool empty() const { return fs::is_empty(dir); }
  std::pair<int, std::string> run(std::vector<std::string> args) {
    std::ostringstream out, err;
    const int rc = runEnroll(args, deps, out, err);
    return {rc, out.str() + err.str()};
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int mode(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}

}  // namespace

TEST_CASE("enroll sends only the public key and writes the config and seed with mode 0600",
          "[agent][unit][enroll]") {
  Node n;
  auto [rc, out] =
      n.run({"--hub", "https://hub.example:8443/", "--token", kToken, "--config", n.config()});
  INFO(out);
  REQUIRE(rc == 0);
  CHECK(n.last_url == "https://hub.example:8443/api/v1/enroll");
  const auto sent = nlohmann::json::parse(n.last_body);
  CHECK(sent["token"] == kToken);
  CHECK(sent["nkey"] == kPublic);
  CHECK(sent["agent_id"] == "web-01");  // from the host name
  CHECK(n.last_body.find(kSeed) == std::string::npos);
  const auto seed = n.dir / "agent.nk";
  REQUIRE(fs::exists(seed));
  CHECK(slurp(seed) == kSeed + "\n");
  CHECK(mode(seed) == 0600);
  CHECK(mode(n.config()) == 0600);
  const auto config = slurp(n.config());
  CHECK(config.find("agent_id: web-01\n") != std::string::npos);
  CHECK(config.find("url: \"tls://nats:4222\"") != std::string::npos);
  CHECK(config.find("nkey: " + kPublic) != std::string::npos);
  CHECK(config.find("nkey_seed_file: \"" + seed.string() + "\"") != std::string::npos);
  CHECK(config.find("\"site\": \"east\"") != std::string::npos);
  CHECK(std::distance(fs::directory_iterator(n.dir), fs::directory_iterator{}) == 2);
}

TEST_CASE("enroll refuses a hub URL that is not HTTPS unless --insecure names a loopback hub",
          "[agent][unit][enroll]") {
  Node n;
  auto [rc1, out1] =
      n.run({"--hub", "http://hub.example", "--token", kToken, "--config", n.config()});
  CHECK(rc1 == 1);
  CHECK(out1.find("is not HTTPS") != std::string::npos);
  auto [rc2, out2] = n.run(
      {"--hub", "http://10.0.0.5:8080", "--insecure", "--token", kToken, "--config", n.config()});
  CHECK(rc2 == 1);
  CHECK(out2.find("only to a hub on this host") != std::string::npos);
  auto [rc3, out3] =
      n.run({"--hub", "ftp://127.0.0.1", "--insecure", "--token", kToken, "--config", n.config()});
  CHECK(rc3 == 1);
  CHECK(out3.find("https://") != std::string::npos);
  CHECK(n.posts == 0);
  CHECK(n.empty());
  auto [rc4, out4] = n.run(
      {"--hub", "http://127.0.0.1:8080", "--insecure", "--token", kToken, "--config", n.config()});
  INFO(out4);
  CHECK(rc4 == 0);
  CHECK(isLoopbackHost("::1"));
  CHECK(isLoopbackHost("localhost"));
  CHECK(isLoopbackHost("127.0.0.9"));
  CHECK_FALSE(isLoopbackHost("127.evil.example"));  // a name, not an address
  CHECK_FALSE(isLoopbackHost("10.0.0.1"));
}

TEST_CASE("enroll's bad inputs are refused before anything is sent, and leave nothing on disk",
          "[agent][unit][enroll]") {
  Node n;
  const auto refused = [&](std::vector<std::string> args, const std::string& says) {
    auto [rc, out] = n.run(args);
    INFO(out);
    CHECK(rc != 0);
    CHECK(out.find(says) != std::string::npos);
  };
  const std::string hub = "https://hub.example";
  refused({"--hub", hub, "--token", "vk_" + std::string(43, 'T'), "--config", n.config()},
          "not an enrollment token");
  refused({"--hub", hub, "--token", kToken + "x", "--config", n.config()},
          "not an enrollment token");
  refused({"--hub", hub, "--token", kToken, "--agent-id", "bad id", "--config", n.config()},
          "--agent-id");
  refused({"--hub", hub, "--token", kToken, "--config", (n.dir / "missing/agent.yaml").string()},
          "does not exist");
  refused(
      {"--hub", hub, "--token", kToken, "--config", n.config(), "--owner", "no-such-user-vitals"},
      "no user named");
  refused({"--hub", hub, "--token", kToken, "--config", n.config(), "--ca-file",
           (n.dir / "none.pem").string()},
          "--ca-file");
  refused({"--hub", hub, "--config", n.config()}, "--token TOKEN is required");
  refused({"--token", kToken}, "--hub URL is required");
  refused({"--hub", hub, "--token", kToken, "--bogus"}, "unknown option");
  refused({"--hub", "not a url", "--token", kToken, "--config", n.config()}, "--hub");
  CHECK(n.posts == 0);
  CHECK(n.empty());
}

TEST_CASE("enroll never replaces an existing config or seed", "[agent][unit][enroll]") {
  Node n;
  std::ofstream(n.config()) << "agent_id: old\n";
  auto [rc, out] =
      n.run({"--hub", "https://hub.example", "--token", kToken, "--config", n.config()});
  CHECK(rc == 1);
  CHECK(out.find("exists already") != std::string::npos);
  CHECK(slurp(n.config()) == "agent_id: old\n");
  CHECK_FALSE(fs::exists(n.dir / "agent.nk"));
  CHECK(n.posts == 0);
}

TEST_CASE(
    "when the hub refuses or cannot be reached, the node's folder is left empty and the "
    "hub's reason is shown",
    "[agent][unit][enroll]") {
  Node n;
  n.answer = {
      401,
      R"J({"error":{"code":"unauthorized","message":"the enrollment token was used already (by agent \"x\")"}})J"};
  auto [rc, out] =
      n.run({"--hub", "https://hub.example", "--token", kToken, "--config", n.config()});
  CHECK(rc == 1);
  CHECK(out.find("HTTP 401") != std::string::npos);
  CHECK(out.find("used already") != std::string::npos);
  CHECK(out.find("nothing was written") != std::string::npos);
  CHECK(n.empty());
  n.answer = {
      409,
      R"({"error":{"code":"conflict","message":"an agent with id \"web-01\" is already enrolled"}})"};
  CHECK(n.run({"--hub", "https://hub.example", "--token", kToken, "--config", n.config()}).first ==
        1);
  CHECK(n.empty());
  n.answer = {201, "<html>not a hub</html>"};
  CHECK(n.run({"--hub", "https://hub.example", "--token", kToken, "--config", n.config()}).first ==
        1);
  CHECK(n.empty());
  n.unreachable = true;
  auto [rc2, out2] =
      n.run({"--hub", "https://hub.example", "--token", kToken, "--config", n.config()});
  CHECK(rc2 == 1);
  CHECK(out2.find("cannot reach the hub") != std::string::npos);
  CHECK(n.empty());
}

TEST_CASE("the real client reports a hub it cannot reach as an error and makes real NKEY pairs",
          "[agent][unit][enroll]") {
  // Nothing listens on port 1 of loopback: an error, not an answer.
  auto deps = systemEnrollDeps("node");
  auto r = deps.post("https://127.0.0.1:1/api/v1/enroll", "{}", "");
  CHECK_FALSE(r.ok());
  auto k = deps.new_key();
  REQUIRE(k.ok());
  CHECK(k->public_key.size() == 56);
  CHECK(k->seed.rfind("SU", 0) == 0);
}

TEST_CASE("enroll gives the files to --owner (when run as root)", "[agent][unit][enroll]") {
  if (::geteuid() != 0) {
    WARN("not root: --owner cannot give files away here; skipped");
    return;
  }
  Node n;
  auto [rc, out] = n.run({"--hub", "https://hub.example", "--token", kToken, "--config", n.config(),
                          "--owner", "nobody"});
  INFO(out);
  REQUIRE(rc == 0);
  struct stat config {
  }, seed{};
  REQUIRE(::stat(n.config().c_str(), &config) == 0);
  REQUIRE(::stat((n.dir / "agent.nk").c_str(), &seed) == 0);
  CHECK(config.st_uid != 0);
  CHECK(seed.st_uid == config.st_uid);
  CHECK(mode(n.dir / "agent.nk") == 0600);
}
