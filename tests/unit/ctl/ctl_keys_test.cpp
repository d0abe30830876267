// vitalsctl and API keys: where the key comes from, and the keys commands over a fake hub.
#include <catch2/catch.hpp>
#include <sstream>

#include "common/time/manual_time.hpp"
#include "ctl/ctl.hpp"
#include "ctl/ctl_args.hpp"

using namespace vitals;
using namespace vitals::ctl;
using nlohmann::json;

namespace {

CtlEnvironment env(std::map<std::string, std::string> vars,
                   std::map<std::string, std::string> files = {}) {
  CtlEnvironment e;
  e.env = [vars](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  e.read_file = [files](const std::string& p) -> Result<std::string> {
    auto it = files.find(p);
    if (it == files.end()) {
      return Error{"io", "no such file or not readable", p};
    }
    return it->second;
  };
  return e;
}

// Records every call; answers with `answer`.
class RecordingHub final : public HubApi {
 public:
  Result<json> get(const std::string& path) override {
    calls.push_back("GET " + path);
    return answer;
  }
  Result<json> send(const std::string& method, const std::string& path,
                    const std::optional<json>& body) override {
    calls.push_back(method + " " + path);
    bodies.push_back(body.value_or(json()));
    return answer;
  }
  Result<json> answer = json::object();
  std::vector<std::string> calls;
  std::vector<json> bodies;
};

}  // namespace

TEST_CASE("vitalsctl takes the API key from VITALS_API_KEY, else from api_key_file",
          "[ctl][unit]") {
  auto a = parseCtlArgs({"status"}, env({{"VITALS_API_KEY", "vk_env"}}));
  REQUIRE(a.ok());
  CHECK(a->api_key == "vk_env");

  const std::map<std::string, std::string> files{
      {"/c.yaml", "hub: http://h:1\napi_key_file: /k\n"}, {"/k", "vk_file\n"}};
  a = parseCtlArgs({"--config", "/c.yaml", "status"}, env({}, files));
  REQUIRE(a.ok());
  CHECK(a->api_key == "vk_file");  // trailing newline trimmed
  CHECK(a->hub_url == "http://h:1");
  a = parseCtlArgs({"--config", "/c.yaml", "status"}, env({{"VITALS_API_KEY", "vk_env"}}, files));
  REQUIRE(a.ok());
  CHECK(a->api_key == "vk_env");

  a = parseCtlArgs({"status"}, env({}));
  REQUIRE(a.ok());
  CHECK(a->api_key.empty());
  auto bad = parseCtlArgs({"--config", "/c.yaml", "status"},
                          env({}, {{"/c.yaml", "api_key_file: /missing\n"}}));
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::Contains("/missing"));
}

TEST_CASE("vitalsctl keys parses list, create and revoke and refuses what does not belong",
          "[ctl][unit]") {
  auto a = parseCtlArgs({"keys", "create", "--name", "ci", "--role", "readonly", "--expires", "30d"},
                        env({}));
  REQUIRE(a.ok());
  CHECK(a->command == Command::KeysCreate);
  CHECK(a->key_name == "ci");
  CHECK(a->key_role == "readonly");
  CHECK(a->key_expires == "30d");
  a = parseCtlArgs({"keys", "revoke", "12"}, env({}));
  REQUIRE(a.ok());
  CHECK(a->command == Command::KeysRevoke);
  CHECK(a->key_id == "12");
  CHECK(parseCtlArgs({"keys", "list"}, env({}))->command == Command::KeysList);

  CHECK_FALSE(parseCtlArgs({"keys"}, env({})).ok());
  CHECK_FALSE(parseCtlArgs({"keys", "create", "--name", "x"}, env({})).ok());
  CHECK_FALSE(parseCtlArgs({"keys", "create", "--name", "x", "--role", "root"}, env({})).ok());
  CHECK_FALSE(parseCtlArgs({"keys", "create", "--name", "x", "--role", "admin", "--expires", "30"},
                           env({}))
                  .ok());
  CHECK_FALSE(parseCtlArgs({"keys", "revoke"}, env({})).ok());
  CHECK_FALSE(parseCtlArgs({"keys", "revoke", "x"}, env({})).ok());
  CHECK_FALSE(parseCtlArgs({"status", "--role", "admin"}, env({})).ok());
}

TEST_CASE("vitalsctl keys create prints the key alone on stdout; revoke sends DELETE",
          "[ctl][unit]") {
  ManualTime time;
  RecordingHub hub;
  hub.answer = json{{"id", 4}, {"role", "operator"}, {"prefix", "vk_abcdefgh"},
                    {"key", "vk_abcdefghTHE_REST"}};
  auto a = parseCtlArgs({"keys", "create", "--name", "ops", "--role", "operator", "--expires", "1d"},
                        env({}));
  REQUIRE(a.ok());
  std::ostringstream out, err;
  CHECK(runCtl(a.value(), hub, time, out, err) == 0);
  CHECK(out.str() == "vk_abcdefghTHE_REST\n");
  CHECK_THAT(err.str(), Catch::Contains("shown only this once"));
  REQUIRE(hub.calls == std::vector<std::string>{"POST /api/v1/keys"});
  CHECK(hub.bodies[0] == json{{"name", "ops"}, {"role", "operator"}, {"expires_in", "1d"}});

  a = parseCtlArgs({"keys", "revoke", "4"}, env({}));
  REQUIRE(a.ok());
  CHECK(runCtl(a.value(), hub, time, out, err) == 0);
  CHECK(hub.calls.back() == "DELETE /api/v1/keys/4");

  hub.answer = json{{"keys", json::array({json{{"id", 4}, {"name", "ops"}, {"role", "operator"},
                                               {"prefix", "vk_abcdefgh"}, {"state", "revoked"}}})}};
  a = parseCtlArgs({"keys", "list"}, env({}));
  REQUIRE(a.ok());
  std::ostringstream table;
  CHECK(runCtl(a.value(), hub, time, table, err) == 0);
  CHECK_THAT(table.str(), Catch::Contains("vk_abcdefgh") && Catch::Contains("revoked"));

  hub.answer = Error{"hub.error", "the hub answered HTTP 403: needs admin", {}};
  std::ostringstream err2;
  CHECK(runCtl(a.value(), hub, time, table, err2) == 1);
  CHECK_THAT(err2.str(), Catch::Contains("403"));
}
