// API keys: format, hashing, constant-time comparison, expiry and revocation, roles, the
// authenticator's cache, the rate limiter, the `api:` config section and /api/v1/keys.
#include <catch2/catch.hpp>
#include <set>

#include "common/time/manual_time.hpp"
#include "hub/api/keys_handler.hpp"
#include "hub/auth/api_key.hpp"
#include "hub/auth/authenticator.hpp"
#include "hub/auth/rate_limiter.hpp"
#include "hub/config/hub_config.hpp"
#include "tests/unit/hub/fakes/fake_key_store.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// A key stored in the fake the way the hub stores one.
std::string storeKey(test::FakeKeyStore& store, test::CountingRandom& random, auth::Role role,
                     SystemTime now, std::optional<SystemTime> expires = std::nullopt) {
  auto key = auth::generateKey(random).value();
  auth::NewKey k{"k", role, auth::keyPrefix(key), auth::hashKey(key), "test", expires};
  REQUIRE(store.insert(k, now).ok());
  return key;
}

}  // namespace

TEST_CASE("a key is vk_ and 43 base64url characters of 32 random bytes", "[hub][unit][auth]") {
  test::CountingRandom random;  // bytes 0..31
  auto key = auth::generateKey(random);
  REQUIRE(key.ok());
  CHECK(key.value() == "vk_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
  CHECK(key->size() == auth::kKeyLength);
  CHECK(auth::looksLikeKey(key.value()));
  CHECK(auth::keyPrefix(key.value()) == "vk_AAECAwQF");
  CHECK(auth::generateKey(random).value() == "vk_ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8");
}

TEST_CASE("keys from the CSPRNG are well-formed and all different", "[hub][unit][auth]") {
  auth::OpenSslRandom random;
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto key = auth::generateKey(random);
    REQUIRE(key.ok());
    CHECK(auth::looksLikeKey(key.value()));
    seen.insert(key.value());
  }
  CHECK(seen.size() == 100);
}

TEST_CASE("only text of a key's exact shape looks like a key", "[hub][unit][auth]") {
  const std::string good = "vk_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
  CHECK(auth::looksLikeKey(good));
  CHECK_FALSE(auth::looksLikeKey(""));
  CHECK_FALSE(auth::looksLikeKey("xk_" + good.substr(3)));
  CHECK_FALSE(auth::looksLikeKey(good.substr(0, good.size() - 1)));
  CHECK_FALSE(auth::looksLikeKey(good + "A"));
  CHECK_FALSE(auth::looksLikeKey(good.substr(0, good.size() - 1) + "="));
  CHECK_FALSE(auth::looksLikeKey(good.substr(0, good.size() - 1) + "+"));
}

TEST_CASE("keys are stored as their SHA-256 and compared whole", "[hub][unit][auth]") {
  CHECK(auth::hashKey("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const auto h = auth::hashKey("vk_one");
  CHECK(h.size() == 64);
  CHECK(auth::hashesEqual(h, auth::hashKey("vk_one")));
  CHECK_FALSE(auth::hashesEqual(h, auth::hashKey("vk_onf")));
  std::string last_differs = h;
  last_differs.back() = last_differs.back() == '0' ? '1' : '0';
  CHECK_FALSE(auth::hashesEqual(h, last_differs));
  CHECK_FALSE(auth::hashesEqual(h, h.substr(0, 63)));
  CHECK_FALSE(auth::hashesEqual("", h));
}

TEST_CASE("a key is expired from its expiry on, and revocation wins", "[hub][unit][auth]") {
  const SystemTime t0{std::chrono::seconds{1'800'000'000}};
  auth::KeyRecord k;
  CHECK(auth::keyState(k, t0) == auth::KeyState::Active);
  k.expires_at = t0 + 10s;
  CHECK(auth::keyState(k, t0 + 9s) == auth::KeyState::Active);
  CHECK(auth::keyState(k, t0 + 10s) == auth::KeyState::Expired);
  k.revoked_at = t0 + 5s;
  CHECK(auth::keyState(k, t0 + 4s) == auth::KeyState::Active);
  CHECK(auth::keyState(k, t0 + 5s) == auth::KeyState::Revoked);
  CHECK(auth::keyState(k, t0 + 20s) == auth::KeyState::Revoked);
}

TEST_CASE("roles are ordered admin > operator > readonly", "[hub][unit][auth]") {
  using auth::Role;
  const Role all[] = {Role::Readonly, Role::Operator, Role::Admin};
  for (int have = 0; have < 3; ++have) {
    for (int need = 0; need < 3; ++need) {
      INFO(auth::toString(all[have]) << " for " << auth::toString(all[need]));
      CHECK(auth::roleAllows(all[have], all[need]) == (have >= need));
    }
    CHECK(auth::parseRole(auth::toString(all[have])) == all[have]);
  }
  CHECK_FALSE(auth::parseRole("root"));
  CHECK_FALSE(auth::parseRole("Admin"));
}

TEST_CASE("key names are 1-64 characters without control characters", "[hub][unit][auth]") {
  CHECK(auth::validKeyName("ci deploy"));
  CHECK(auth::validKeyName(std::string(64, 'x')));
  CHECK_FALSE(auth::validKeyName(""));
  CHECK_FALSE(auth::validKeyName(std::string(65, 'x')));
  CHECK_FALSE(auth::validKeyName("a\nb"));
}

TEST_CASE("the authenticator accepts stored keys and says why it refuses others",
          "[hub][unit][auth]") {
  ManualTime time;
  test::FakeKeyStore store;
  test::CountingRandom random;
  auth::Authenticator authn(store, time);
  const auto admin = storeKey(store, random, auth::Role::Admin, time.now());
  auto p = authn.authenticate(admin);
  REQUIRE(p.ok());
  CHECK(p->key_id == 1);
  CHECK(p->role == auth::Role::Admin);
  CHECK(p->actor() == "key:1");

  // Same prefix, different rest: a lookup finds the row, the hash comparison refuses it.
  std::string forged = admin;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  auto bad = authn.authenticate(forged);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == "auth.invalid");

  const int lookups = store.lookups;
  CHECK(authn.authenticate("Bearer-ish nonsense").error().code == "auth.invalid");
  CHECK(store.lookups == lookups);  // malformed keys never reach the store

  store.available = false;
  CHECK(authn.authenticate(forged).error().code == "auth.unavailable");
}

TEST_CASE("validated keys are cached for the TTL, revocation shows after it or at once on "
          "invalidate",
          "[hub][unit][auth]") {
  ManualTime time;
  test::FakeKeyStore store;
  test::CountingRandom random;
  auth::Authenticator authn(store, time, {5s, 60s});
  const auto key = storeKey(store, random, auth::Role::Operator, time.now());
  REQUIRE(authn.authenticate(key).ok());
  REQUIRE(authn.authenticate(key).ok());
  CHECK(store.lookups == 1);

  REQUIRE(store.revoke(1, time.now()).ok());
  time.advance(4s);
  CHECK(authn.authenticate(key).ok());  // still cached
  time.advance(1s);
  auto r = authn.authenticate(key);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "auth.revoked");

  const auto other = storeKey(store, random, auth::Role::Operator, time.now());
  REQUIRE(authn.authenticate(other).ok());
  REQUIRE(store.revoke(2, time.now()).ok());
  authn.invalidate();
  CHECK(authn.authenticate(other).error().code == "auth.revoked");
}

TEST_CASE("an expired key is refused at once, even from the cache", "[hub][unit][auth]") {
  ManualTime time;
  test::FakeKeyStore store;
  test::CountingRandom random;
  auth::Authenticator authn(store, time, {5min, 60s});
  const auto key = storeKey(store, random, auth::Role::Readonly, time.now(), time.now() + 30s);
  REQUIRE(authn.authenticate(key).ok());
  time.advance(29s);
  REQUIRE(authn.authenticate(key).ok());
  time.advance(1s);
  auto r = authn.authenticate(key);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "auth.expired");
  CHECK(store.lookups == 1);
}

TEST_CASE("last_used_at is written at most once per touch interval per key",
          "[hub][unit][auth]") {
  ManualTime time;
  test::FakeKeyStore store;
  test::CountingRandom random;
  auth::Authenticator authn(store, time, {1s, 60s});
  const auto first_use = time.now();
  const auto key = storeKey(store, random, auth::Role::Readonly, time.now());
  for (int i = 0; i < 30; ++i) {
    REQUIRE(authn.authenticate(key).ok());
    time.advance(1s);
  }
  CHECK(store.touches == 1);
  CHECK(store.get(1).last_used_at == first_use);
  time.advance(30s);
  REQUIRE(authn.authenticate(key).ok());
  CHECK(store.touches == 2);
  CHECK(store.get(1).last_used_at == time.now());
}

TEST_CASE("the rate limiter allows a burst, then one request per 1/rate, with Retry-After",
          "[hub][unit][auth]") {
  ManualTime time;
  auth::RateLimiter limiter({2, 3});
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(limiter.take("key:1", time.steadyNow()));
  }
  auto wait = limiter.take("key:1", time.steadyNow());
  REQUIRE(wait);
  CHECK(*wait == 1s);
  CHECK_FALSE(limiter.take("key:2", time.steadyNow()));  // buckets are per caller
  time.advance(500ms);
  CHECK_FALSE(limiter.take("key:1", time.steadyNow()));
  CHECK(limiter.take("key:1", time.steadyNow()));
  CHECK(limiter.check("key:1", time.steadyNow()));
  time.advance(10s);
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(limiter.take("key:1", time.steadyNow()));
  }
  CHECK(limiter.take("key:1", time.steadyNow()));

  auth::RateLimiter slow({0.1, 1});
  CHECK_FALSE(slow.take("x", time.steadyNow()));
  CHECK(slow.take("x", time.steadyNow()) == std::chrono::seconds{10});
  auth::RateLimiter unlimited({0, 1});
  for (int i = 0; i < 100; ++i) {
    CHECK_FALSE(unlimited.take("x", time.steadyNow()));
  }
}

TEST_CASE("the api section has safe defaults and validates every key", "[hub][unit][config]") {
  ConfigSources sources;
  sources.env = [](const std::string&) { return std::optional<std::string>(); };
  sources.read_file = [](const std::string& path) -> Result<std::string> {
    if (path == "/etc/vitals/hub.crt" || path == "/etc/vitals/hub.key") {
      return std::string("pem");
    }
    return Error{"io", "no such file", path};
  };
  config::Problems problems;
  auto c = parseHubConfig("hub_id: h\n", "hub.yaml", sources, problems);
  REQUIRE(c);
  CHECK(c->api.auth_required);
  CHECK(c->api.metrics_public);
  CHECK(c->api.max_body_bytes == 1 << 20);
  CHECK(c->api.rate_per_second == 20);
  CHECK(c->api.rate_burst == 40);
  CHECK(c->api.key_cache_ttl == 5s);
  CHECK(c->api.tls_cert_file.empty());

  c = parseHubConfig(
      "api:\n  auth: disabled\n  metrics_public: false\n  max_body_bytes: 64KiB\n"
      "  rate_limit:\n    requests_per_second: 5\n    burst: 7\n  read_timeout: 2s\n"
      "  write_timeout: 3s\n  key_cache_ttl: 1s\n  tls_cert_file: /etc/vitals/hub.crt\n"
      "  tls_key_file: /etc/vitals/hub.key\n",
      "hub.yaml", sources, problems);
  INFO(problems.format());
  REQUIRE(c);
  CHECK_FALSE(c->api.auth_required);
  CHECK_FALSE(c->api.metrics_public);
  CHECK(c->api.max_body_bytes == 65536);
  CHECK(c->api.rate_per_second == 5);
  CHECK(c->api.rate_burst == 7);
  CHECK(c->api.read_timeout == 2s);
  CHECK(c->api.write_timeout == 3s);
  CHECK(c->api.key_cache_ttl == 1s);
  CHECK(c->api.tls_key_file == "/etc/vitals/hub.key");

  config::Problems bad;
  c = parseHubConfig(
      "api:\n  auth: optional\n  max_body_bytes: 10\n  tls_cert_file: /nope.crt\n"
      "  rate_limit:\n    burst: 0\n  bogus: 1\n",
      "hub.yaml", sources, bad);
  CHECK_FALSE(c);
  const auto text = bad.format();
  CHECK_THAT(text, Catch::Contains("hub.yaml:2: api.auth: must be required or disabled"));
  CHECK_THAT(text, Catch::Contains("hub.yaml:3: api.max_body_bytes"));
  CHECK_THAT(text, Catch::Contains("api.tls_cert_file: tls_cert_file and tls_key_file go together"));
  CHECK_THAT(text, Catch::Contains("api.tls_cert_file: cannot read \"/nope.crt\""));
  CHECK_THAT(text, Catch::Contains("api.rate_limit.burst"));
  CHECK_THAT(text, Catch::Contains("hub.yaml:7: api.bogus: unknown key"));
}

TEST_CASE("POST /api/v1/keys shows the key once, listings never show it or its hash",
          "[hub][unit][api]") {
  ManualTime time;
  test::FakeKeyStore store;
  test::CountingRandom random;
  int revocations = 0;
  api::KeysHandler keys(store, random, time, [&] { ++revocations; });
  api::ApiRequest req;
  req.actor = "key:9";
  req.body = R"({"name":"ci","role":"operator","expires_in":"30d"})";
  auto r = keys.create(req);
  REQUIRE(r.status == 201);
  const std::string key = r.body.at("key");
  CHECK(auth::looksLikeKey(key));
  CHECK(r.body["role"] == "operator");
  CHECK(r.body["creator"] == "key:9");
  CHECK(r.body["prefix"] == auth::keyPrefix(key));
  CHECK(r.body["expires_at"] == formatRfc3339(time.now() + std::chrono::hours{24 * 30}));
  CHECK(store.get(1).hash == auth::hashKey(key));

  auto listed = keys.list({});
  REQUIRE(listed.status == 200);
  const auto text = listed.body.dump();
  CHECK(text.find(key) == std::string::npos);
  CHECK(text.find(auth::hashKey(key)) == std::string::npos);
  CHECK(listed.body["keys"][0]["state"] == "active");

  api::ApiRequest del;
  del.path_params["id"] = "1";
  auto d = keys.revoke(del);
  CHECK(d.status == 200);
  CHECK(d.body["state"] == "revoked");
  CHECK(revocations == 1);
  del.path_params["id"] = "77";
  CHECK(keys.revoke(del).status == 404);
  del.path_params["id"] = "x1";
  CHECK(keys.revoke(del).status == 400);
}

TEST_CASE("POST /api/v1/keys names the field it refuses", "[hub][unit][api]") {
  ManualTime time;
  test::FakeKeyStore store;
  test::CountingRandom random;
  api::KeysHandler keys(store, random, time);
  auto message = [&](const std::string& body) {
    api::ApiRequest req;
    req.body = body;
    auto r = keys.create(req);
    CHECK(r.status == 400);
    return r.body["error"]["message"].get<std::string>();
  };
  CHECK_THAT(message(R"({"name":"a","role":"admin","scope":"x"})"),
             Catch::Contains("unknown field \"scope\""));
  CHECK_THAT(message(R"({"name":"a","role":"root"})"), Catch::StartsWith("role:"));
  CHECK_THAT(message(R"({"role":"admin"})"), Catch::StartsWith("name:"));
  CHECK_THAT(message(R"({"name":5,"role":"admin"})"), Catch::StartsWith("name: must be a string"));
  CHECK_THAT(message(R"({"name":"a","role":"admin","expires_in":"30"})"),
             Catch::StartsWith("expires_in:"));
  CHECK_THAT(message("[1]"), Catch::Contains("JSON object"));
  CHECK(store.list()->empty());
}
