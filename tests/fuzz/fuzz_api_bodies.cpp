// The JSON bodies of every mutating endpoint: the hub's own route table, built over the unit
// tests' fakes (tests/unit/hub/fakes/all_handlers.hpp), and the fuzz body dispatched to one of
// its non-GET routes (the first byte selects it) as an admin. Handlers backed by PostgreSQL
// (repairs, approvals, quick actions, incidents, silences) get a pool whose server cannot be
// reached (PGHOST is a missing socket directory: it fails at once, without network), so they
// answer 503, often before they read the body: so the parsers of those bodies (repair policy,
// silence, alert config) are also called directly on every input that is JSON. Invariants: never a 500 (the router's answer
// to a handler exception), every error is {"error":{"code","message"}}, and the response
// always serialises.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "hub/api/incidents_handler.hpp"
#include "hub/notify/alert_config.hpp"
#include "hub/repair/repair_policy.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/unit/hub/fakes/all_handlers.hpp"

namespace {

using namespace vitals;

struct Target {
  std::string method;
  std::string path;
};

// Every route that takes a body, with its path parameters filled in.
std::vector<Target> mutatingRoutes(const hub::api::Router& router) {
  std::vector<Target> out;
  for (const auto& r : router.routes()) {
    if (r.method == "GET" || r.method == "HEAD") {
      continue;
    }
    std::string path;
    for (std::size_t i = 0; i < r.pattern.size(); ++i) {
      if (r.pattern[i] == '{') {
        const auto end = r.pattern.find('}', i);
        const std::string name = r.pattern.substr(i + 1, end - i - 1);
        path += (name == "id" || name.find("id") != std::string::npos) ? "1" : "web";
        i = end;
      } else {
        path += r.pattern[i];
      }
    }
    out.push_back({r.method, path});
  }
  return out;
}

struct Rig {
  test::AllHandlers handlers;
  hub::api::Router router = handlers.router();
  std::vector<Target> targets = mutatingRoutes(router);
};

Rig* rig = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // libpq's default server: a socket directory that does not exist (fails at once, no network).
  setenv("PGHOST", "/nonexistent/vitals-fuzz", 1);
  setenv("PGCONNECT_TIMEOUT", "1", 1);
  rig = new Rig();  // lives for the process
  FUZZ_CHECK(!rig->targets.empty(), "the route table has mutating routes");
  if (std::getenv("FUZZ_LIST_ROUTES") != nullptr) {  // for writing seeds: selector byte -> route
    for (std::size_t i = 0; i < rig->targets.size(); ++i) {
      std::fprintf(stderr, "%zu %s %s\n", i, rig->targets[i].method.c_str(),
                   rig->targets[i].path.c_str());
    }
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  // The fakes keep what handlers store (keys, overrides, audit rows): start over now and then
  // so memory stays flat over millions of inputs.
  static std::size_t runs = 0;
  if (++runs % 20000 == 0) {
    delete rig;
    rig = new Rig();
  }
  const Target& t = rig->targets[data[0] % rig->targets.size()];
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  hub::api::Caller caller;
  caller.actor = "key:1";
  caller.role = "admin";
  const hub::api::ApiResponse res = rig->router.dispatch(t.method, t.path, {}, body, caller);
  if (res.status == 500) {
    std::fprintf(stderr, "%s %s -> 500: %s\n", t.method.c_str(), t.path.c_str(),
                 res.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  }
  FUZZ_CHECK(res.status != 500, "no handler throws on a body");
  FUZZ_CHECK(res.status >= 200 && res.status < 600, "a real HTTP status");
  if (res.status >= 400 && !res.text) {
    FUZZ_CHECK(res.body.contains("error") && res.body["error"].contains("code") &&
                   res.body["error"]["code"].is_string() &&
                   res.body["error"].contains("message"),
               "an error is {\"error\":{\"code\",\"message\"}}");
  }
  // What http_server sends (invalid UTF-8 replaced, never a throw).
  (void)res.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

  // The pure body parsers behind the database-backed routes. What they accept, rendered the way
  // GET returns it, must be accepted again (GET -> edit -> PUT works).
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded()) {
    return 0;
  }
  auto policy = hub::repair::policyFromJson(json, hub::repair::defaultPolicy("web", false));
  if (policy.ok()) {
    FUZZ_CHECK(hub::repair::policyFromJson(hub::repair::toJson(policy.value()), policy.value()).ok(),
               "a repair policy as GET shows it is accepted by PUT");
  }
  (void)hub::api::parseSilence(json, SystemTime{std::chrono::seconds{1'790'000'000}});
  auto alert = hub::notify::parseAlertConfig(json, "web", {"team-slack", "ops-webhook"});
  if (alert.ok()) {
    FUZZ_CHECK(hub::notify::parseAlertConfig(hub::notify::toJson(alert.value()), "web",
                                             {"team-slack", "ops-webhook"})
                   .ok(),
               "an alert config as GET shows it is accepted by PUT");
  }
  return 0;
}
