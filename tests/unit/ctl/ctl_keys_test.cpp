// vitalsctl and API keys: where the key comes from, and the keys commands over a fake hub.
#include <catch2/catch.hpp>
#include <sstream>

#include "common/time/manual_time.hpp"
#include "ctl/ctl.hpp"
#include "ctl/ctl_args.hpp"
#include "tests/unit/ctl/fake_environment.hpp"

using namespace vitals;
using namespace vitals::ctl;
using nlohmann::json;

namespace {

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
  auto a = parseCtlArgs({"status"}, test::fakeEnv({{"VITALS_API_KEY", "vk_env"}}));
  REQUIRE(a.ok());
  CHECK(a->api_key == "vk_env");

  const std::map<std::string, std::string> files{{"/c.yaml", "hub: http://h:1\napi_key_file: /k\n"},
                                                 {"/k", "vk_file\n"}};
  a = parseCtlArgs({"--config", "/c.yaml", "status"}, test::fakeEnv({}, files));
  REQUIRE(a.ok());
  CHECK(a->api_key == "vk_file");  // trailing newline trimmed
  CHECK(a->hub_url == "http://h:1");
  a = parseCtlArgs({"--config", "/c.yaml", "status"},
                   test::fakeEnv({{"VITALS_API_KEY", "vk_env"}}, files));
  REQUIRE(a.ok());
  CHECK(a->api_key == "vk_env");

  a = parseCtlArgs({"status"}, test::fakeEnv({}));
  REQUIRE(a.ok());
  CHECK(a->api_key.empty());
  auto bad = parseCtlArgs({"--config", "/c.yaml", "status"},
                          test::fakeEnv({}, {{"/c.yaml", "api_key_file: /missing\n"}}));
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::Contains("/missing"));
}

TEST_CASE("vitalsctl keys parses list, create and revoke and refuses what does not belong",
          "[ctl][unit]") {
  auto a =
      parseCtlArgs({"keys", "create", "--name", "ci", "--role", "readonly", "--expires", "30d"},
                   test::fakeEnv({}));
  REQUIRE(a.ok());
  CHECK(a->command == Command::KeysCreate);
  CHECK(a->key_name == "ci");
  CHECK(a->key_role == "readonly");
  CHECK(a->key_expires == "30d");
  a = parseCtlArgs({"keys", "revoke", "12"}, test::fakeEnv({}));
  REQUIRE(a.ok());
  CHECK(a->command == Command::KeysRevoke);
  CHECK(a->key_id == "12");
  CHECK(parseCtlArgs({"keys", "list"}, test::fakeEnv({}))->command == Command::KeysList);

  CHECK_FALSE(parseCtlArgs({"keys"}, test::fakeEnv({})).ok());
  CHECK_FALSE(parseCtlArgs({"keys", "create", "--name", "x"}, test::fakeEnv({})).ok());
  CHECK_FALSE(
      parseCtlArgs({"keys", "create", "--name", "x", "--role", "root"}, test::fakeEnv({})).ok());
  CHECK_FALSE(parseCtlArgs({"keys", "create", "--name", "x", "--role", "admin", "--expires", "30"},
                           test::fakeEnv({}))
                  .ok());
  CHECK_FALSE(parseCtlArgs({"keys", "revoke"}, test::fakeEnv({})).ok());
  CHECK_FALSE(parseCtlArgs({"keys", "revoke", "x"}, test::fakeEnv({})).ok());
  CHECK_FALSE(parseCtlArgs({"status", "--role", "admin"}, test::fakeEnv({})).ok());
}

TEST_CASE("vitalsctl keys create prints the key alone on stdout, revoke sends DELETE",
          "[ctl][unit]") {
  ManualTime time;
  RecordingHub hub;
  hub.answer = json{
      {"id", 4}, {"role", "operator"}, {"prefix", "vk_abcdefgh"}, {"key", "vk_abcdefghTHE_REST"}};
  auto a =
      parseCtlArgs({"keys", "create", "--name", "ops", "--role", "operator", "--expires", "1d"},
                   test::fakeEnv({}));
  REQUIRE(a.ok());
  std::ostringstream out, err;
  CHECK(runCtl(a.value(), hub, time, out, err) == 0);
  CHECK(out.str() == "vk_abcdefghTHE_REST\n");
  CHECK_THAT(err.str(), Catch::Contains("shown only this once"));
  REQUIRE(hub.calls == std::vector<std::string>{"POST /api/v1/keys"});
  CHECK(hub.bodies[0] == json{{"name", "ops"}, {"role", "operator"}, {"expires_in", "1d"}});

  a = parseCtlArgs({"keys", "revoke", "4"}, test::fakeEnv({}));
  REQUIRE(a.ok());
  CHECK(runCtl(a.value(), hub, time, out, err) == 0);
  CHECK(hub.calls.back() == "DELETE /api/v1/keys/4");

  hub.answer = json{{"keys", json::array({json{{"id", 4},
                                               {"name", "ops"},
                                               {"role", "operator"},
                                               {"prefix", "vk_abcdefgh"},
                                               {"state", "revoked"}}})}};
  a = parseCtlArgs({"keys", "list"}, test::fakeEnv({}));
  REQUIRE(a.ok());
  std::ostringstream table;
  CHECK(runCtl(a.value(), hub, time, table, err) == 0);
  CHECK_THAT(table.str(), Catch::Contains("vk_abcdefgh") && Catch::Contains("revoked"));

  hub.answer = Error{"hub.error", "the hub answered HTTP 403: needs admin", {}};
  std::ostringstream err2;
  CHECK(runCtl(a.value(), hub, time, table, err2) == 1);
  CHECK_THAT(err2.str(), Catch::Contains("403"));
}
