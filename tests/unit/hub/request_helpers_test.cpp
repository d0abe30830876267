// The API's shared request parsers, error vocabulary and the errors of the HTTP layer itself.
#include "hub/api/request_helpers.hpp"

#include <catch2/catch.hpp>

#include "hub/api/router.hpp"

using namespace vitals;
using namespace vitals::hub::api;

namespace {

ApiRequest withQuery(std::vector<std::pair<std::string, std::string>> query) {
  ApiRequest r;
  r.query = std::move(query);
  return r;
}

ApiRequest withId(std::string id) {
  ApiRequest r;
  r.path_params["id"] = std::move(id);
  return r;
}

std::string errorCode(const ApiResponse& r) { return r.body.at("error").at("code"); }
std::string message(const ApiResponse& r) { return r.body.at("error").at("message"); }

}  // namespace

TEST_CASE("limitParam takes the default when absent and refuses anything but 1..max",
          "[hub][unit][api]") {
  CHECK(limitParam(withQuery({}), 50, 1000).value() == 50);
  CHECK(limitParam(withQuery({{"limit", "1000"}}), 50, 1000).value() == 1000);
  for (const char* bad : {"0", "1001", "10x", "", "-1", " 5", "99999999999"}) {
    INFO(bad);
    auto r = limitParam(withQuery({{"limit", bad}}), 50, 1000);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "bad_request");
    CHECK(r.error().message ==
          "query parameter \"limit\": expected an integer from 1 to 1000, "
          "got \"" +
              std::string(bad) + "\"");
  }
}

TEST_CASE("idParam accepts positive integers only and names the parameter", "[hub][unit][api]") {
  CHECK(idParam(withId("42")).value() == 42);
  for (const char* bad : {"0", "-3", "+3", "x", "", "1234567890123456789", "4.5"}) {
    INFO(bad);
    auto r = idParam(withId(bad));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "bad_request");
    CHECK(r.error().message.rfind("id: must be a positive integer", 0) == 0);
  }
  CHECK_FALSE(idParam(ApiRequest{}).ok());  // no such path parameter
}

TEST_CASE("timeParam reads RFC 3339 and says which parameter is wrong", "[hub][unit][api]") {
  auto absent = timeParam(withQuery({}), "since");
  REQUIRE(absent.ok());
  CHECK_FALSE(absent.value().has_value());
  auto given = timeParam(withQuery({{"since", "2026-01-02T03:04:05Z"}}), "since");
  REQUIRE(given.ok());
  CHECK(formatRfc3339(*given.value()) == "2026-01-02T03:04:05.000Z");
  auto bad = timeParam(withQuery({{"until", "yesterday"}}), "until");
  REQUIRE_FALSE(bad.ok());
  CHECK(errorFrom(bad.error()).status == 400);
  CHECK_THAT(bad.error().message, Catch::StartsWith("query parameter \"until\": expected"));
}

TEST_CASE("jsonObjectBody refuses what is not a JSON object with bad_request", "[hub][unit][api]") {
  ApiRequest r;
  r.body = R"({"a":1})";
  REQUIRE(jsonObjectBody(r).ok());
  CHECK(jsonObjectBody(r).value().at("a") == 1);
  r.body = "{nope";
  CHECK(jsonObjectBody(r).error().message == "the body is not valid JSON");
  r.body = "[1]";
  CHECK(jsonObjectBody(r).error().message == "the body must be a JSON object");
  CHECK(errorFrom(jsonObjectBody(r).error()).body.at("error").at("code") == "bad_request");
}

TEST_CASE("the query string is decoded from the target only, '+' as a space", "[hub][unit][api]") {
  auto q = parseQueryString("a=1&b=x+y%21&flag&&c=");
  REQUIRE(q.ok());
  const QueryParams want = {{"a", "1"}, {"b", "x y!"}, {"flag", ""}, {"c", ""}};
  CHECK(q.value() == want);
  CHECK(parseQueryString("").value().empty());
  for (const char* bad : {"a=%4", "a=%zz", "%=1", "a=%"}) {
    INFO(bad);
    auto r = parseQueryString(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "malformed percent-encoding in the query string");
  }
}

TEST_CASE("a body with a Content-Type other than JSON is 415 and says what is expected",
          "[hub][unit][api]") {
  const std::vector<std::pair<std::string, std::string>> form = {
      {"Content-Type", "application/x-www-form-urlencoded"}};
  auto r = checkContentType("name=ci&role=readonly", form);
  REQUIRE(r);
  CHECK(r->status == 415);
  CHECK(errorCode(*r) == "unsupported_media_type");
  CHECK(message(*r) ==
        "Content-Type must be application/json, got \"application/x-www-form-urlencoded\"");
  CHECK_FALSE(checkContentType("{}", {{"content-type", "Application/JSON; charset=utf-8"}}));
  CHECK_FALSE(checkContentType("{}", {}));  // no Content-Type: read as JSON
  CHECK_FALSE(checkContentType("", form));  // no body: nothing to refuse
}

TEST_CASE("the router answers a form-encoded body with 415 instead of reading it as parameters",
          "[hub][unit][api]") {
  Router router;
  int calls = 0;
  router.add(Route{"POST", "/x", {}, [&](const ApiRequest&) {
                     ++calls;
                     return jsonResponse({{"ok", true}});
                   }});
  auto r = router.dispatch("POST", "/x", {}, "a=1", {},
                           {{"Content-Type", "application/x-www-form-urlencoded"}});
  CHECK(r.status == 415);
  CHECK(calls == 0);
  r = router.dispatch("POST", "/x", {}, "{}", {}, {{"Content-Type", "application/json"}});
  CHECK(r.status == 200);
  CHECK(calls == 1);
}

TEST_CASE("errors of the HTTP layer say what was wrong instead of \"HTTP <status>\"",
          "[hub][unit][api]") {
  auto r = httpLayerError(400, 1024, 8192);
  CHECK(r.status == 400);
  CHECK(errorCode(r) == "bad_request");
  CHECK_THAT(message(r), Catch::StartsWith("malformed HTTP request"));
  r = httpLayerError(413, 1024, 8192);
  CHECK(errorCode(r) == "payload_too_large");
  CHECK(message(r) == "the request body is larger than api.max_body_bytes (1024 bytes)");
  r = httpLayerError(414, 1024, 8192);
  CHECK(r.status == 414);
  CHECK(errorCode(r) == "uri_too_long");
  CHECK(message(r) == "the request URL is longer than 8192 bytes");
  for (int status : {400, 404, 413, 414, 416, 431, 500, 503}) {
    INFO(status);
    CHECK(httpLayerError(status, 1, 1).status == status);
    CHECK_THAT(message(httpLayerError(status, 1, 1)), !Catch::StartsWith("HTTP "));
  }
}
