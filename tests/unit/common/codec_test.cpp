#include <catch2/catch.hpp>

#include "common/model/codec.hpp"
#include "tests/support/sample_result.hpp"
#include "vitals/v1/agent.pb.h"

using namespace vitals;

using test::sampleResult;

TEST_CASE("result batch survives an encode/decode round trip field for field", "[common][unit]") {
  ResultBatch batch{"web-01", "b00t", {sampleResult(7), sampleResult(8)}};
  auto decoded = codec::decodeBatch(codec::encodeBatch(batch));
  REQUIRE(decoded.ok());
  REQUIRE(decoded->results.size() == 2);
  const auto& r = decoded->results[1];
  CHECK(r.seq == 8);
  CHECK(r.agent_id == "web-01");
  CHECK(r.boot_id == "b00t");
  CHECK(r.service == "shop");
  CHECK(r.check == "shop-http");
  CHECK(r.kind == "http");
  CHECK(r.status == HealthStatus::Degraded);
  CHECK(r.latency == std::chrono::microseconds{123456});
  CHECK(r.message == "HTTP 200 in 123 ms");
  CHECK(r.details.at("http.status") == "200");
  CHECK(r.observed_at == batch.results[1].observed_at);
  CHECK(r.failure_kind == FailureKind::Timeout);
  CHECK(r.attempt == 2);
  CHECK(r.consecutive_failures == 1);
  CHECK(r.flapping);
  CHECK(codec::batchMessageId(batch) == "web-01.b00t.7");
}

TEST_CASE("garbage bytes are rejected as a ResultBatch, not crashed on", "[common][unit]") {
  auto decoded = codec::decodeBatch(std::string("\xff\xff\xff\x01garbage", 11));
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.error().code == "codec.invalid");
}

TEST_CASE("a batch whose result names another agent is rejected", "[common][unit]") {
  auto r = sampleResult(1);
  r.agent_id = "someone-else";
  auto decoded = codec::decodeBatch(codec::encodeBatch(ResultBatch{"web-01", "b00t", {r}}));
  REQUIRE_FALSE(decoded.ok());
  CHECK_THAT(decoded.error().message, Catch::Contains("does not match"));
}

TEST_CASE("a result with seq 0 or an unspecified status is rejected", "[common][unit]") {
  SECTION("seq 0") {
    auto decoded =
        codec::decodeBatch(codec::encodeBatch(ResultBatch{"web-01", "b00t", {sampleResult(0)}}));
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.error().message, Catch::Contains("seq"));
  }
  SECTION("status unspecified") {
    vitals::v1::ResultBatch msg;
    msg.ParseFromString(codec::encodeBatch(ResultBatch{"web-01", "b00t", {sampleResult(1)}}));
    msg.mutable_results(0)->set_status(vitals::v1::STATUS_UNSPECIFIED);
    auto decoded = codec::decodeBatch(msg.SerializeAsString());
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.error().message, Catch::Contains("status"));
  }
}

TEST_CASE("registration and heartbeat survive a round trip", "[common][unit]") {
  Registration reg;
  reg.agent_id = "a1";
  reg.boot_id = "b";
  reg.hostname = "host";
  reg.version = "0.1.0";
  reg.checks.push_back(CheckSpec{"c1", "svc", "tcp", "127.0.0.1:5432", std::chrono::seconds{5},
                                 std::chrono::seconds{1}, 3, std::chrono::milliseconds{250}});
  reg.actions = {"restart"};
  reg.action_specs = {ActionSpec{"restart",
                                 {{"unit", "[a-z]+"}, {"mode", "soft|hard"}},
                                 std::chrono::seconds{30},
                                 std::chrono::minutes{5},
                                 2}};
  reg.sent_at = SystemTime{std::chrono::seconds{1'790'000'000}};
  reg.labels = {{"env", "dev"}};
  auto r = codec::decodeRegistration(codec::encodeRegistration(reg));
  REQUIRE(r.ok());
  REQUIRE(r->checks.size() == 1);
  CHECK(r->checks[0].target == "127.0.0.1:5432");
  CHECK(r->checks[0].interval == std::chrono::seconds{5});
  CHECK(r->checks[0].degraded_latency == std::chrono::milliseconds{250});
  CHECK(r->actions == std::vector<std::string>{"restart"});
  CHECK(r->action_specs == reg.action_specs);
  CHECK(r->labels.at("env") == "dev");

  Heartbeat hb{"a1",
               "b",
               "0.1.0",
               4,
               SystemTime{std::chrono::seconds{1'790'000'000}},
               std::chrono::seconds{10},
               99,
               3};
  auto h = codec::decodeHeartbeat(codec::encodeHeartbeat(hb));
  REQUIRE(h.ok());
  CHECK(h->check_count == 4);
  CHECK(h->interval == std::chrono::seconds{10});
  CHECK(h->last_seq == 99);
  CHECK(h->spooled == 3);
  CHECK_FALSE(codec::decodeHeartbeat("\x0a").ok());
}

TEST_CASE("a registration with a nameless action or an out-of-range timeout is refused",
          "[common][unit]") {
  vitals::v1::Registration msg;
  msg.set_agent_id("a1");
  msg.mutable_sent_at()->set_seconds(1'790'000'000);
  auto* action = msg.add_action_specs();
  auto decoded = codec::decodeRegistration(msg.SerializeAsString());
  REQUIRE_FALSE(decoded.ok());
  CHECK_THAT(decoded.error().message, Catch::Contains("action_specs[0]: name is required"));
  action->set_name("restart");
  action->mutable_timeout()->set_seconds(-5);
  decoded = codec::decodeRegistration(msg.SerializeAsString());
  REQUIRE_FALSE(decoded.ok());
  CHECK_THAT(decoded.error().message, Catch::Contains("action_specs[0]: duration out of range"));
}

// Found by fuzz_exec_output: a plugin printing Latin-1 (or output cut inside a UTF-8 sequence)
// made a batch the hub's parser refuses, losing every result in it.
TEST_CASE("a result whose text is not UTF-8 still decodes, with U+FFFD for the bad bytes",
          "[common][unit]") {
  CheckResult r = sampleResult(1);
  r.message = "caf\xe9 ok \xe2\x9c";  // Latin-1 e-acute, then a cut-off check mark
  r.details = {{"long_output", "\xff\xfe"}, {"ok", "caf\xc3\xa9"}};
  auto decoded = codec::decodeBatch(codec::encodeBatch({"web-01", "b00t", {r}}));
  REQUIRE(decoded.ok());
  REQUIRE(decoded->results.size() == 1);
  CHECK(decoded->results[0].message == "caf\xef\xbf\xbd ok \xef\xbf\xbd\xef\xbf\xbd");
  CHECK(decoded->results[0].details.at("long_output") == "\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(decoded->results[0].details.at("ok") == "caf\xc3\xa9");
}

TEST_CASE("a registration with a non-UTF-8 hostname and label still decodes", "[common][unit]") {
  Registration reg;
  reg.agent_id = "a1";
  reg.boot_id = "b";
  reg.hostname = "h\xc0st";                 // overlong lead byte
  reg.labels = {{"team", "\xed\xa0\x80"}};  // an encoded surrogate
  reg.sent_at = SystemTime{std::chrono::seconds{1'790'000'000}};
  auto decoded = codec::decodeRegistration(codec::encodeRegistration(reg));
  REQUIRE(decoded.ok());
  CHECK(decoded->hostname == "h\xef\xbf\xbdst");
  CHECK(decoded->labels.at("team") == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

TEST_CASE("a scan report travels with its result, and a result without one decodes without",
          "[common][unit]") {
  auto scanned = sampleResult(1);
  auto report = std::make_shared<ScanReport>();
  report->scanner = "trivy";
  report->artifact = "web:1";
  report->counts[static_cast<std::size_t>(Severity::Critical)] = 1;
  report->counts[static_cast<std::size_t>(Severity::Low)] = 9;
  report->truncated = true;
  report->findings.push_back({"web:1 (debian 12)", "CVE-2024-1", "openssl", "3.0.11", "3.0.13",
                              Severity::Critical, "a flaw"});
  scanned.scan = report;
  auto decoded = codec::decodeBatch(
      codec::encodeBatch(ResultBatch{"web-01", "b00t", {scanned, sampleResult(2)}}));
  REQUIRE(decoded.ok());
  const auto& s = decoded->results[0].scan;
  REQUIRE(s);
  CHECK(s->scanner == "trivy");
  CHECK(s->artifact == "web:1");
  CHECK(s->count(Severity::Critical) == 1);
  CHECK(s->count(Severity::Low) == 9);
  CHECK(s->truncated);
  REQUIRE(s->findings.size() == 1);
  CHECK(s->findings[0].vulnerability_id == "CVE-2024-1");
  CHECK(s->findings[0].package == "openssl");
  CHECK(s->findings[0].installed_version == "3.0.11");
  CHECK(s->findings[0].fixed_version == "3.0.13");
  CHECK(s->findings[0].severity == Severity::Critical);
  CHECK(s->findings[0].target == "web:1 (debian 12)");
  CHECK(s->findings[0].title == "a flaw");
  CHECK_FALSE(decoded->results[1].scan);
}

TEST_CASE("a scan report with more than 5,000 findings is cut on decode", "[common][unit]") {
  vitals::v1::ResultBatch msg;
  msg.ParseFromString(codec::encodeBatch(ResultBatch{"web-01", "b00t", {sampleResult(1)}}));
  auto* scan = msg.mutable_results(0)->mutable_scan();
  scan->set_scanner("trivy");
  for (int i = 0; i < 5001; ++i) {
    auto* f = scan->add_findings();
    f->set_vulnerability_id("CVE-" + std::to_string(i));
    f->set_severity(i == 0 ? "bogus" : "low");
  }
  auto decoded = codec::decodeBatch(msg.SerializeAsString());
  REQUIRE(decoded.ok());
  const auto& s = decoded->results[0].scan;
  REQUIRE(s);
  CHECK(s->findings.size() == ScanReport::kMaxFindings);
  CHECK(s->truncated);
  CHECK(s->findings[0].severity == Severity::Unknown);
}
