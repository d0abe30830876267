#include <catch2/catch.hpp>

#include "agent/probe/http_probe.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace std::chrono_literals;

namespace {

HttpCheckSpec spec(std::vector<int> expected = {}, std::optional<std::string> body = {}) {
  HttpCheckSpec s;
  s.url = "http://127.0.0.1:8080/healthz";
  s.scheme = "http";
  s.host = "127.0.0.1";
  s.port = 8080;
  s.path = "/healthz";
  s.expected_status = std::move(expected);
  s.body_contains = std::move(body);
  return s;
}

}  // namespace

TEST_CASE("without expected_status any 2xx is healthy", "[agent][unit][probe]") {
  const auto s = spec();
  const int status = GENERATE(200, 201, 204, 299);
  auto o = evaluateHttpResponse(s, status, "", 3ms);
  CHECK(o.raw_status == HealthStatus::Healthy);
  CHECK(o.failure_kind == FailureKind::None);
  CHECK(o.message == "HTTP " + std::to_string(status) + " in 3 ms");
  CHECK(o.details.at("status_code") == std::to_string(status));
  CHECK(o.details.at("url") == s.url);
  CHECK(o.latency == 3ms);
}

TEST_CASE("without expected_status anything but 2xx is down", "[agent][unit][probe]") {
  const int status = GENERATE(101, 199, 301, 404, 500, 503);
  auto o = evaluateHttpResponse(spec(), status, "", 3ms);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.failure_kind == FailureKind::Unexpected);
  CHECK(o.message == "expected status 2xx, got " + std::to_string(status));
}

TEST_CASE("expected_status is the exact set of good answers", "[agent][unit][probe]") {
  const auto s = spec({200, 301});
  CHECK(evaluateHttpResponse(s, 301, "", 1ms).raw_status == HealthStatus::Healthy);
  CHECK(evaluateHttpResponse(s, 200, "", 1ms).raw_status == HealthStatus::Healthy);
  auto o = evaluateHttpResponse(s, 204, "", 1ms);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message == "expected status 200 or 301, got 204");
  CHECK(evaluateHttpResponse(spec({200}), 503, "", 1ms).message == "expected status 200, got 503");
  CHECK(evaluateHttpResponse(spec({200, 201, 202}), 503, "", 1ms).message ==
        "expected status 200, 201 or 202, got 503");
}

TEST_CASE("body_contains must be found in the body", "[agent][unit][probe]") {
  const auto s = spec({}, std::string("ok"));
  CHECK(evaluateHttpResponse(s, 200, "{\"status\":\"ok\"}", 1ms).raw_status ==
        HealthStatus::Healthy);
  auto o = evaluateHttpResponse(s, 200, "{\"status\":\"starting\"}", 1ms);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.failure_kind == FailureKind::Unexpected);
  CHECK(o.message == "HTTP 200 but the body does not contain \"ok\"");
}

TEST_CASE("a wrong status is reported before the body", "[agent][unit][probe]") {
  auto o = evaluateHttpResponse(spec({}, std::string("ok")), 500, "ok", 1ms);
  CHECK(o.message == "expected status 2xx, got 500");
}

TEST_CASE("latencies are written for humans", "[agent][unit][probe]") {
  CHECK(formatLatency(250us) == "0.25 ms");
  CHECK(formatLatency(3ms) == "3 ms");
  CHECK(formatLatency(1500ms) == "1500 ms");
  CHECK(formatLatency(12s) == "12.0 s");
  CHECK(formatLatency(999us) == "1.00 ms");
  CHECK(formatLatency(0us) == "0.00 ms");
  CHECK(formatLatency(12345ms) == "12.3 s");
}
