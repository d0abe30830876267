// Delivery building blocks: signatures, message formats, retry delays and attempt decisions.
#include <catch2/catch.hpp>

#include "common/random/random.hpp"
#include "common/time/clock.hpp"
#include "hub/notify/backoff.hpp"
#include "hub/notify/curl_notifiers.hpp"
#include "hub/notify/message_format.hpp"
#include "hub/notify/sender.hpp"
#include "hub/notify/signing.hpp"

using namespace vitals;
using namespace vitals::hub::notify;
using namespace std::chrono_literals;

namespace {

Notification sample() {
  Notification n;
  n.incident = "inc-42";
  n.transition = "healthy->down";
  n.channel = "ops-webhook";
  n.service = "checkout";
  n.from_status = "healthy";
  n.to_status = "down";
  n.summary = "http 503 on web-1";
  parseRfc3339("2026-03-03T10:00:00Z", n.at);
  return n;
}

}  // namespace

TEST_CASE("HMAC-SHA256 matches RFC 4231 test case 2", "[hub][unit][notify]") {
  CHECK(hmacSha256Hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("webhook signature covers timestamp.body", "[hub][unit][notify]") {
  const std::string body = R"({"a":1})";
  CHECK(webhookSignature("s3cret", 1700000000, body) ==
        "sha256=" + hmacSha256Hex("s3cret", "1700000000." + body));
  // Another timestamp or body gives another signature (a replayed body with a new time fails).
  CHECK(webhookSignature("s3cret", 1700000001, body) != webhookSignature("s3cret", 1700000000, body));
  CHECK(webhookSignature("s3cret", 1700000000, "{}") != webhookSignature("s3cret", 1700000000, body));
}

TEST_CASE("signing headers carry the previous secret's signature only during a rotation",
          "[hub][unit][notify]") {
  const auto one = signingHeaders("new", "", 100, "x");
  REQUIRE(one.size() == 2);
  CHECK(one[0] == std::make_pair(std::string("X-Vitals-Timestamp"), std::string("100")));
  CHECK(one[1].first == "X-Vitals-Signature");
  CHECK(one[1].second == webhookSignature("new", 100, "x"));
  const auto two = signingHeaders("new", "old", 100, "x");
  REQUIRE(two.size() == 3);
  CHECK(two[2].first == "X-Vitals-Signature-Previous");
  CHECK(two[2].second == webhookSignature("old", 100, "x"));
}

TEST_CASE("notification JSON round-trips and names its idempotency key", "[hub][unit][notify]") {
  const auto n = sample();
  CHECK(n.idempotencyKey() == "inc-42:healthy->down:ops-webhook");
  const auto j = toJson(n);
  CHECK(j["idempotency_key"] == "inc-42:healthy->down:ops-webhook");
  CHECK(j["at"] == "2026-03-03T10:00:00.000Z");
  auto back = notificationFromJson(j);
  REQUIRE(back.ok());
  CHECK(back->idempotencyKey() == n.idempotencyKey());
  CHECK(back->summary == n.summary);
  CHECK(back->at == n.at);
}

TEST_CASE("a malformed outbox payload is refused, naming the field", "[hub][unit][notify]") {
  auto j = toJson(sample());
  j["service"] = 5;
  auto r = notificationFromJson(j);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("service") != std::string::npos);
  j = toJson(sample());
  j["at"] = "yesterday";
  CHECK_FALSE(notificationFromJson(j).ok());
  CHECK_FALSE(notificationFromJson(nlohmann::json::array()).ok());
}

TEST_CASE("slack message has a fallback text and escaped mrkdwn blocks", "[hub][unit][notify]") {
  auto n = sample();
  n.summary = "a <b> & c";
  const auto m = slackMessage(n);
  CHECK(m["text"] == "[DOWN] checkout: healthy -&gt; down: a &lt;b&gt; &amp; c");
  REQUIRE(m["blocks"].size() == 2);
  CHECK(m["blocks"][0]["type"] == "section");
  const std::string detail = m["blocks"][0]["text"]["text"];
  CHECK(detail.find(":red_circle: *checkout* is *down* (was healthy)") == 0);
  CHECK(detail.find("a &lt;b&gt; &amp; c") != std::string::npos);
  CHECK(m["blocks"][1]["elements"][0]["text"] == "incident inc-42 · 2026-03-03T10:00:00.000Z");
}

TEST_CASE("email message has CRLF headers, the key as Message-ID and no header injection",
          "[hub][unit][notify]") {
  auto n = sample();
  n.summary = "line1\r\nBcc: evil@example.com";
  const auto m = emailMessage(n, "vitals@example.com", {"a@example.com", "b@example.com"}, n.at);
  CHECK(m.find("From: vitals@example.com\r\n") == 0);
  CHECK(m.find("To: a@example.com, b@example.com\r\n") != std::string::npos);
  CHECK(m.find("Date: Tue, 03 Mar 2026 10:00:00 +0000\r\n") != std::string::npos);
  CHECK(m.find("Message-ID: <inc-42.healthy-.down.ops-webhook@vitals>\r\n") != std::string::npos);
  CHECK(m.find("X-Vitals-Idempotency-Key: inc-42:healthy->down:ops-webhook\r\n") !=
        std::string::npos);
  CHECK(m.find("\r\nBcc:") == std::string::npos);
  CHECK(m.find("\r\n\r\n") != std::string::npos);  // header/body separator
}

TEST_CASE("retry delay doubles, is capped, and jitters into half to all of the step",
          "[hub][unit][notify]") {
  RetryPolicy p{1000ms, 10000ms, 10};
  FixedRandom zero{0.0};
  CHECK(retryDelay(1, p, zero) == 500ms);
  CHECK(retryDelay(2, p, zero) == 1000ms);
  CHECK(retryDelay(3, p, zero) == 2000ms);
  CHECK(retryDelay(5, p, zero) == 5000ms);  // 16 s capped to 10 s, times 0.5
  CHECK(retryDelay(60, p, zero) == 5000ms);
  FixedRandom almost_one{0.999};
  CHECK(retryDelay(1, p, almost_one) == 999ms);
  CHECK(retryDelay(9, p, almost_one) == 9995ms);
}

TEST_CASE("attempt decision: delivered, retried with backoff, or given up", "[hub][unit][notify]") {
  RetryPolicy p{1000ms, 60000ms, 3};
  FixedRandom zero{0.0};
  std::chrono::system_clock::time_point now{std::chrono::seconds{1000}};
  DeliveryOutcome ok;
  ok.delivered = true;
  CHECK(decideAttempt(ok, 1, p, now, zero).result == AttemptResult::Delivered);

  DeliveryOutcome transient;
  transient.error = "HTTP 503";
  auto a = decideAttempt(transient, 2, p, now, zero);
  CHECK(a.result == AttemptResult::Retry);
  CHECK(a.next_attempt_at == now + 1000ms);
  CHECK(decideAttempt(transient, 3, p, now, zero).result == AttemptResult::Failed);

  DeliveryOutcome permanent;
  permanent.retryable = false;
  permanent.error = "HTTP 400";
  CHECK(decideAttempt(permanent, 1, p, now, zero).result == AttemptResult::Failed);
}

TEST_CASE("HTTP statuses worth retrying", "[hub][unit][notify]") {
  CHECK(retryableHttpStatus(500));
  CHECK(retryableHttpStatus(503));
  CHECK(retryableHttpStatus(429));
  CHECK(retryableHttpStatus(408));
  CHECK_FALSE(retryableHttpStatus(400));
  CHECK_FALSE(retryableHttpStatus(404));
  CHECK_FALSE(retryableHttpStatus(410));
}

TEST_CASE("claim lease outlasts any attempt", "[hub][unit][notify]") {
  CHECK(claimLease(10000ms) > 10000ms);
  CHECK(claimLease(2000ms) == 9000ms);
}
