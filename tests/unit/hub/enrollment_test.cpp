// Agent enrollment without servers: tokens (hashed, single use, expiring by the hub's clock),
// the checks every request passes before the store is asked, revocation, the users file the hub
// writes for nats-server, and the API's answers.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/nats/nkeys.hpp"
#include "common/time/manual_time.hpp"
#include "hub/api/enrollment_handler.hpp"
#include "hub/enroll/nats_users_file.hpp"
#include "tests/unit/hub/fakes/fake_enrollment.hpp"
#include "tests/unit/hub/fakes/fake_key_store.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace std::chrono_literals;

namespace {

struct Setup {
  ManualTime time;
  test::FakeEnrollmentStore store;
  test::FakeIdentityPublisher bus;
  test::CountingRandom random;
  enroll::Enrollment enrollment{store, bus, random, time};
};

std::string freshKey() {
  auto k = nkeys::newUserKeyPair();
  REQUIRE(k.ok());
  return k->public_key;
}

}  // namespace

TEST_CASE("an enrollment token is stored only as its SHA-256 and works exactly once",
          "[hub][unit][enroll]") {
  Setup s;
  auto made = s.enrollment.createToken(1h, {{"site", "east"}}, "key:1");
  REQUIRE(made.ok());
  const std::string token = made->token;
  CHECK(enroll::looksLikeToken(token));
  REQUIRE(s.store.tokens.size() == 1);
  const auto& stored = s.store.tokens.begin()->second;
  CHECK(stored.hash == auth::hashKey(token));
  CHECK(stored.hash.find(token.substr(3)) == std::string::npos);
  CHECK(stored.prefix == token.substr(0, 11));
  CHECK(stored.expires_at == s.time.now() + 1h);

  auto first = s.enrollment.enroll(token, "web-01", freshKey(), "web-01.example");
  REQUIRE(first.ok());
  CHECK(first->agent.labels.at("site") == "east");  // the token's labels go to the agent
  CHECK(first->bus.ok());
  CHECK(s.bus.last == std::vector<std::string>{"web-01"});
  CHECK(s.store.audit.back() == "agent.enroll web-01 by token:1");

  auto second = s.enrollment.enroll(token, "web-02", freshKey(), "web-02");
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == "enroll.token_used");
  CHECK(second.error().message.find("web-01") != std::string::npos);
  CHECK(s.store.enrolled.count("web-02") == 0);
}

TEST_CASE("an enrollment token stops working at its expiry by the hub's clock",
          "[hub][unit][enroll]") {
  Setup s;
  auto made = s.enrollment.createToken(10min, {}, "key:1");
  REQUIRE(made.ok());
  s.time.advance(10min - 1s);
  auto early = enroll::judgeToken(s.store.tokens.begin()->second, s.time.now());
  CHECK(early.ok());
  s.time.advance(1s);
  auto late = s.enrollment.enroll(made->token, "web-01", freshKey(), "");
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().code == "enroll.token_expired");
  CHECK(s.store.enrolled.empty());
  CHECK(s.bus.calls == 0);
}

TEST_CASE(
    "forged, malformed tokens, bad agent ids and bad keys are refused before the store "
    "is asked (a forged one by the store)",
    "[hub][unit][enroll]") {
  Setup s;
  auto made = s.enrollment.createToken(1h, {}, "key:1");
  REQUIRE(made.ok());
  const std::string key = freshKey();
  const auto code = [&](const std::string& token, const std::string& id, const std::string& nkey) {
    auto r = s.enrollment.enroll(token, id, nkey, "h");
    return r.ok() ? std::string("ok") : r.error().code;
  };
  CHECK(code("", "a1", key) == "enroll.malformed");
  CHECK(code("vk_" + made->token.substr(3), "a1", key) == "enroll.malformed");  // an API key
  CHECK(code(made->token + "A", "a1", key) == "enroll.malformed");
  CHECK(code(made->token.substr(0, 45) + "!", "a1", key) == "enroll.malformed");
  CHECK(code(made->token, "", key) == "enroll.malformed");
  CHECK(code(made->token, "a.b", key) == "enroll.malformed");
  CHECK(code(made->token, "a1", "") == "enroll.malformed");
  auto seed = nkeys::newUserKeyPair();
  REQUIRE(seed.ok());
  CHECK(code(made->token, "a1", seed->seed) == "enroll.malformed");  // a seed is no public key
  std::string typo = key;
  typo[10] = typo[10] == 'A' ? 'B' : 'A';
  CHECK(code(made->token, "a1", typo) == "enroll.malformed");  // checksum
  CHECK(s.store.enroll_calls == 0);
  // Well-formed but not issued by this hub.
  CHECK(code("ve_" + std::string(43, 'Q'), "a1", key) == "enroll.token_invalid");
  CHECK(s.store.tokens.begin()->second.used_at == std::nullopt);
}

TEST_CASE(
    "enrolling an agent id that exists or a taken key is refused and leaves the token "
    "unspent",
    "[hub][unit][enroll]") {
  Setup s;
  s.store.reporting.insert("old-agent");
  auto t1 = s.enrollment.createToken(1h, {}, "key:1");
  auto t2 = s.enrollment.createToken(1h, {}, "key:1");
  REQUIRE(t1.ok());
  REQUIRE(t2.ok());
  auto taken = s.enrollment.enroll(t1->token, "old-agent", freshKey(), "");
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.error().code == "enroll.agent_exists");
  const std::string key = freshKey();
  REQUIRE(s.enrollment.enroll(t1->token, "new-agent", key, "").ok());  // still usable
  auto same_key = s.enrollment.enroll(t2->token, "third", key, "");
  REQUIRE_FALSE(same_key.ok());
  CHECK(same_key.error().code == "enroll.nkey_exists");
  auto again = s.enrollment.enroll(t2->token, "new-agent", freshKey(), "");
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "enroll.agent_exists");
}

TEST_CASE("revoking an agent removes its identity from what the bus accepts and is audited",
          "[hub][unit][enroll]") {
  Setup s;
  for (const char* id : {"a1", "a2"}) {
    auto t = s.enrollment.createToken(1h, {}, "key:1");
    REQUIRE(t.ok());
    REQUIRE(s.enrollment.enroll(t->token, id, freshKey(), "").ok());
  }
  CHECK(s.bus.last == std::vector<std::string>{"a1", "a2"});
  s.time.advance(5s);
  auto r = s.enrollment.revoke("a1", "key:7");
  REQUIRE(r.ok());
  CHECK(r->agent.revoked_at == s.time.now());
  CHECK(r->bus.ok());
  CHECK(s.bus.last == std::vector<std::string>{"a2"});
  CHECK(s.store.audit.back() == "agent.revoke a1 by key:7");
  auto unknown = s.enrollment.revoke("nobody", "key:7");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().code == "enroll.no_such_agent");
  // A failing reload is reported, the revocation stays recorded, and the next sync retries.
  s.bus.fail = true;
  auto r2 = s.enrollment.revoke("a2", "key:7");
  REQUIRE(r2.ok());
  CHECK_FALSE(r2->bus.ok());
  CHECK(s.store.enrolled.at("a2").revoked_at.has_value());
  s.bus.fail = false;
  CHECK(s.enrollment.sync().ok());
  CHECK(s.bus.last.empty());
}

TEST_CASE("token lifetimes and labels out of range are refused", "[hub][unit][enroll]") {
  Setup s;
  CHECK(s.enrollment.createToken(59s, {}, "key:1").error().code == "enroll.malformed");
  CHECK(s.enrollment.createToken(std::chrono::hours{24 * 8}, {}, "key:1").error().code ==
        "enroll.malformed");
  CHECK_FALSE(s.enrollment.createToken(1h, {{"bad key", "v"}}, "key:1").ok());
  CHECK_FALSE(s.enrollment.createToken(1h, {{"k", "line\nbreak"}}, "key:1").ok());
  CHECK(s.store.tokens.empty());
  CHECK(s.enrollment.createToken(60s, {{"k.8-s_", std::string(256, 'v')}}, "key:1").ok());
}

TEST_CASE(
    "the users file lists the hub and each enrolled agent with exactly an agent's "
    "permissions, public keys only, in a stable order",
    "[hub][unit][enroll]") {
  enroll::EnrolledAgent b{"b-agent", "UBBB", "", {}, 1, {}, {}, {}};
  enroll::EnrolledAgent a{"a-agent", "UAAA", "", {}, 2, {}, {}, {}};
  const auto text =
      enroll::renderUsersFile({"hub-x", "VITALS", "UHUB", "    { user: \"ops\" }\n"}, {b, a});
  CHECK(text ==
        enroll::renderUsersFile({"hub-x", "VITALS", "UHUB", "    { user: \"ops\" }\n"}, {a, b}));
  CHECK(text.find("authorization {") == text.find("authorization"));
  CHECK(text.find("nkey: \"UHUB\"") != std::string::npos);
  CHECK(text.find("\"hub.hub-x.>\"") != std::string::npos);
  CHECK(text.find("{ user: \"ops\" }") != std::string::npos);
  CHECK(text.find("a-agent") < text.find("b-agent"));
  CHECK(text.find(R"(nkey: "UAAA"  # a-agent)") != std::string::npos);
  CHECK(text.find(R"(publish: { allow: ["vitals.agent.a-agent.>"], deny: ["$SYS.>"] })") !=
        std::string::npos);
  CHECK(
      text.find(
          R"(subscribe: { allow: ["vitals.cmd.a-agent.>", "_INBOX_a-agent.>"], deny: ["$SYS.>"] })") !=
      std::string::npos);
  CHECK(text.find("$JS.API") == text.rfind("$JS.API"));  // only the hub's entry has it
  CHECK(text.find("password") == std::string::npos);
}

TEST_CASE(
    "the users file is replaced atomically, readable by nats-server, and a failing "
    "reload command is an error that names it",
    "[hub][unit][enroll]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("vitals-users-file-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "users.conf").string();
  enroll::NatsUsersFile file({path, {"/bin/true"}, "", {"hub-x", "VITALS", "UHUB", {}}, 2000ms});
  enroll::EnrolledAgent a{"a1", "UAAA", "", {}, 1, {}, {}, {}};
  REQUIRE(file.publish({a}).ok());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  CHECK(std::distance(std::filesystem::directory_iterator(dir),
                      std::filesystem::directory_iterator{}) == 1);  // no temp file left
  enroll::NatsUsersFile failing(
      {path, {"/bin/false"}, "", {"hub-x", "VITALS", "UHUB", {}}, 2000ms});
  auto s = failing.publish({});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message.find("/bin/false") != std::string::npos);
  CHECK(s.error().message.find("exit status 1") != std::string::npos);
  enroll::NatsUsersFile missing(
      {path, {"/nonexistent/reload"}, "", {"hub-x", "VITALS", "UHUB", {}}, 2000ms});
  CHECK_FALSE(missing.publish({}).ok());
  enroll::NatsUsersFile nowhere({(dir / "no/such/dir/users.conf").string(), {}, "", {}, 2000ms});
  CHECK_FALSE(nowhere.publish({}).ok());
  std::filesystem::remove_all(dir);
}

TEST_CASE(
    "the enrollment API answers bad bodies with 400, bad tokens with 401 and taken ids "
    "with 409",
    "[hub][unit][enroll][api]") {
  Setup s;
  api::EnrollmentHandler h(s.enrollment, s.store, {"hub-x", "nats://nats:4222"}, s.time);
  api::ApiRequest create;
  create.actor = "key:3";
  create.body = R"({"ttl":"2h","labels":{"site":"east"}})";
  auto made = h.createToken(create);
  REQUIRE(made.status == 201);
  const std::string token = made.body["token"];
  CHECK(made.body["state"] == "active");
  CHECK(made.body["creator"] == "key:3");
  for (const char* bad :
       {R"({"ttl":"soon"})", R"({"ttl":"1s"})", R"({"ttl":5})", R"({"labels":["a"]})",
        R"({"labels":{"a":1}})", R"({"other":1})", "[1]"}) {
    api::ApiRequest r;
    r.body = bad;
    INFO(bad);
    CHECK(h.createToken(r).status == 400);
  }
  auto call = [&](const std::string& body) {
    api::ApiRequest r;
    r.body = body;
    return h.enroll(r);
  };
  const std::string key = freshKey();
  CHECK(call("not json").status == 400);
  CHECK(call(R"({"token":")" + token + R"(","agent_id":"a1"})").status == 400);  // no nkey
  CHECK(call(R"({"token":")" + token + R"(","agent_id":"a1","nkey":")" + key + R"(","extra":"x"})")
            .status == 400);
  auto forged = call(R"({"token":"ve_)" + std::string(43, 'Z') + R"(","agent_id":"a1","nkey":")" +
                     key + R"("})");
  CHECK(forged.status == 401);
  CHECK(forged.body["error"]["code"] == "unauthorized");
  auto ok = call(R"({"token":")" + token + R"(","agent_id":"a1","nkey":")" + key +
                 R"(","hostname":"node-1"})");
  REQUIRE(ok.status == 201);
  CHECK(ok.body["nats"]["url"] == "nats://nats:4222");
  CHECK(ok.body["hub_id"] == "hub-x");
  CHECK(ok.body["labels"]["site"] == "east");
  CHECK(ok.body["bus"]["applied"] == true);
  auto reused =
      call(R"({"token":")" + token + R"(","agent_id":"a2","nkey":")" + freshKey() + R"("})");
  CHECK(reused.status == 401);
  auto t2 = h.createToken(create);
  auto taken = call(R"({"token":")" + t2.body["token"].get<std::string>() +
                    R"(","agent_id":"a1","nkey":")" + freshKey() + R"("})");
  CHECK(taken.status == 409);

  api::ApiRequest revoke;
  revoke.actor = "key:3";
  revoke.path_params["id"] = "a1";
  auto rv = h.revoke(revoke);
  CHECK(rv.status == 200);
  CHECK(rv.body["revoked_at"].is_string());
  revoke.path_params["id"] = "ghost";
  CHECK(h.revoke(revoke).status == 404);

  auto list = h.listTokens({});
  REQUIRE(list.status == 200);
  REQUIRE(list.body["tokens"].size() == 2);
  for (const auto& t : list.body["tokens"]) {
    CHECK_FALSE(t.contains("token"));
    CHECK_FALSE(t.contains("hash"));
  }
}

TEST_CASE("NKEY user public keys are recognised by their prefix, length and checksum",
          "[hub][unit][enroll]") {
  auto k = nkeys::newUserKeyPair();
  REQUIRE(k.ok());
  CHECK(nkeys::isValidPublicUser(k->public_key));
  CHECK(k->seed.rfind("SU", 0) == 0);
  CHECK_FALSE(nkeys::isValidPublicUser(k->seed));
  CHECK_FALSE(nkeys::isValidPublicUser("A" + k->public_key.substr(1)));  // an account key
  CHECK_FALSE(nkeys::isValidPublicUser(k->public_key.substr(0, 55)));
  CHECK_FALSE(nkeys::isValidPublicUser(k->public_key + "A"));
  std::string lower = k->public_key;
  lower[5] = static_cast<char>(std::tolower(lower[5]));
  CHECK((lower == k->public_key || !nkeys::isValidPublicUser(lower)));
  std::array<unsigned char, 32> zeros{};
  CHECK(nkeys::isValidPublicUser(nkeys::encodePublicUser(zeros)));
}
