// Notification delivery against real peers: a signed webhook receiver (signature checked with
// the openssl CLI), a Slack-compatible receiver, a real SMTP server (aiosmtpd), a slow and a
// dead channel next to a healthy one, and a hub SIGKILLed mid-send. Outbox rows are inserted
// with SQL, as the alert policy's transaction would, and the hub's sender delivers them.
#include <httplib.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/http_peers.hpp"
#include "tests/support/pg_query.hpp"
#include "tests/support/stack.hpp"

using namespace vitals::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

using Receiver = WebhookReceiver;

// An outbox row as the policy's transaction would write it.
void enqueue(const std::string& db, const std::string& channel, const std::string& incident) {
  const json payload = {{"incident", incident},        {"transition", "healthy->down"},
                        {"channel", channel},          {"service", "svc-" + incident},
                        {"from_status", "healthy"},    {"to_status", "down"},
                        {"summary", "http 503"},       {"at", "2026-03-03T10:00:00.000Z"},
                        {"idempotency_key", incident + ":healthy->down:" + channel}};
  query(db,
        "INSERT INTO notification_outbox (idempotency_key, channel, payload, created_at, "
        "next_attempt_at) VALUES ('" +
            payload["idempotency_key"].get<std::string>() + "', '" + channel + "', '" +
            payload.dump() + "'::jsonb, now(), now())");
}

// The signature as the openssl CLI computes it (an implementation independent of the hub's).
std::string opensslSignature(const Fixture& fx, const std::string& dir, const std::string& secret,
                             const std::string& timestamp, const std::string& body) {
  const std::string input = dir + "/signed-" + std::to_string(freeTcpPort()) + ".txt";
  writeFile(input, timestamp + "." + body);
  const std::string log = input + ".out";
  ChildProcess p({"/usr/bin/openssl", "dgst", "-sha256", "-hmac", secret, "-r", input}, log,
                 fx.run_dir + "/pids");
  REQUIRE(p.waitExit(10000) == 0);
  const std::string out = p.log();  // "<hex> *<file>"
  return "sha256=" + out.substr(0, out.find(' '));
}

std::string channelYaml(const std::string& name, const std::string& url,
                        const std::string& secret_file, const std::string& extra = "") {
  return "    " + name + ":\n      type: webhook\n      url: \"" + url +
         "\"\n      secret_file: " + secret_file + "\n" + extra;
}

}  // namespace

TEST_CASE("signed webhooks reach a real receiver while a slow and a dead channel retry",
          "[integration][notify]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("notify-webhook");
  Receiver rx;
  writeFile(dir + "/secret-new", "n3w-s3cret\n");
  writeFile(dir + "/secret-old", "0ld-s3cret\n");
  const std::string base = "http://127.0.0.1:" + std::to_string(rx.port());
  HubOptions ho;
  ho.db_conninfo = fx.freshDatabase("notify_webhook");
  ho.http_port = freeTcpPort();
  ho.extra_yaml = "notify:\n  timeout: 1s\n  poll_interval: 100ms\n  retry_initial: 200ms\n"
                  "  retry_max: 1s\n  max_attempts: 3\n  channels:\n" +
                  channelYaml("good", base + "/hook", dir + "/secret-new",
                              "      secondary_secret_file: " + dir + "/secret-old\n") +
                  channelYaml("slow", base + "/slow", dir + "/secret-new") +
                  channelYaml("dead", "http://127.0.0.1:" + std::to_string(freeTcpPort()) + "/x",
                              dir + "/secret-new");
  HubProcess hub(fx, dir, ho);
  REQUIRE(hub.waitReady(30s));

  for (int i = 0; i < 3; ++i) {
    enqueue(ho.db_conninfo, "slow", "s" + std::to_string(i));
    enqueue(ho.db_conninfo, "dead", "d" + std::to_string(i));
  }
  // The slow channel is now busy with an attempt that hangs until its timeout.
  REQUIRE(waitUntil([&] { return !rx.received("/slow").empty(); }, 10s));
  for (int i = 0; i < 10; ++i) {
    enqueue(ho.db_conninfo, "good", "g" + std::to_string(i));
  }
  INFO(hub.log());
  REQUIRE(waitUntil([&] { return rx.received("/hook").size() >= 10; }, 20s));
  // Delivered while the slow channel still had undelivered work (3 rows x >= 1 s timeouts).
  CHECK(count(ho.db_conninfo,
              "SELECT count(*) FROM notification_outbox WHERE channel = 'slow' AND status IN "
              "('pending', 'sending')") > 0);

  const auto got = rx.received("/hook");
  REQUIRE(got.size() == 10);
  std::set<std::string> keys;
  for (const auto& r : got) {
    keys.insert(r.key);
    const auto body = json::parse(r.body);
    CHECK(body["idempotency_key"] == r.key);
    CHECK(body["to_status"] == "down");
  }
  CHECK(keys.size() == 10);
  CHECK(keys.count("g0:healthy->down:good") == 1);
  // Verified by the openssl CLI, for the current and the previous secret.
  CHECK(got[0].signature == opensslSignature(fx, dir, "n3w-s3cret", got[0].timestamp, got[0].body));
  CHECK(got[0].previous_signature ==
        opensslSignature(fx, dir, "0ld-s3cret", got[0].timestamp, got[0].body));
  CHECK(got[0].signature != opensslSignature(fx, dir, "wrong", got[0].timestamp, got[0].body));

  CHECK(count(ho.db_conninfo, "SELECT count(*) FROM notification_outbox WHERE channel = 'good' "
                              "AND status = 'delivered' AND delivered_at IS NOT NULL") == 10);
  CHECK(count(ho.db_conninfo, "SELECT count(*) FROM notification_attempts a JOIN "
                              "notification_outbox o ON o.id = a.outbox_id WHERE o.channel = "
                              "'good' AND a.outcome = 'delivered' AND a.http_status = 200") == 10);
  // The dead channel gives up after max_attempts, recording each attempt.
  REQUIRE(waitUntil(
      [&] {
        return count(ho.db_conninfo, "SELECT count(*) FROM notification_outbox WHERE channel = "
                                     "'dead' AND status = 'failed'") == 3;
      },
      30s));
  CHECK(count(ho.db_conninfo, "SELECT count(*) FROM notification_attempts a JOIN "
                              "notification_outbox o ON o.id = a.outbox_id WHERE o.channel = "
                              "'dead'") == 9);
  CHECK(count(ho.db_conninfo, "SELECT count(*) FROM notification_outbox WHERE channel = 'dead' "
                              "AND last_error <> ''") == 3);
  const auto metrics = httpGet(hub.port(), "/metrics").body;
  CHECK(metricValue(metrics, "vitals_notify_delivered_total{channel=\"good\"}") == 10);
  CHECK(metricValue(metrics, "vitals_notify_failed_total{channel=\"dead\"}") == 3);
}

TEST_CASE("email reaches a real SMTP server and Slack gets a formatted message",
          "[integration][notify]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("notify-email");
  Receiver rx;
  const int smtp_port = freeTcpPort();
  ChildProcess smtp({"/usr/bin/python3", "-u", "-m", "aiosmtpd", "-n", "-l",
                     "127.0.0.1:" + std::to_string(smtp_port)},
                    dir + "/smtp.log", fx.run_dir + "/pids");
  HubOptions ho;
  ho.db_conninfo = fx.freshDatabase("notify_email");
  ho.http_port = freeTcpPort();
  ho.extra_yaml = "notify:\n  timeout: 5s\n  poll_interval: 100ms\n  retry_initial: 200ms\n"
                  "  channels:\n"
                  "    oncall-mail:\n      type: email\n      smtp_url: smtp://127.0.0.1:" +
                  std::to_string(smtp_port) +
                  "\n      from: vitals@example.com\n      to: [oncall@example.com]\n"
                  "    team-slack:\n      type: slack\n      url: \"http://127.0.0.1:" +
                  std::to_string(rx.port()) + "/slack\"\n";
  HubProcess hub(fx, dir, ho);
  REQUIRE(hub.waitReady(30s));
  enqueue(ho.db_conninfo, "oncall-mail", "m1");
  enqueue(ho.db_conninfo, "team-slack", "k1");
  INFO(hub.log());
  REQUIRE(waitUntil([&] { return !rx.received("/slack").empty(); }, 20s));
  const auto slack = json::parse(rx.received("/slack")[0].body);
  CHECK(slack["text"] == "[DOWN] svc-k1: healthy -&gt; down: http 503");
  CHECK(slack["blocks"][0]["type"] == "section");
  // aiosmtpd's debugging handler prints each message it accepted.
  REQUIRE(waitUntil(
      [&] {
        return smtp.log().find("X-Vitals-Idempotency-Key: m1:healthy->down:oncall-mail") !=
               std::string::npos;
      },
      20s));
  INFO(smtp.log());
  CHECK_THAT(smtp.log(), Catch::Contains("Subject: [DOWN] svc-m1: healthy -> down: http 503"));
  CHECK_THAT(smtp.log(), Catch::Contains("oncall@example.com"));
  CHECK(waitUntil(
      [&] {
        return count(ho.db_conninfo,
                     "SELECT count(*) FROM notification_outbox WHERE status = 'delivered'") == 2;
      },
      10s));
}

TEST_CASE("a hub killed mid-send delivers everything after restart with at most one duplicate",
          "[integration][notify]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("notify-kill");
  Receiver rx(400ms);
  writeFile(dir + "/secret", "k1ll-s3cret");
  HubOptions ho;
  ho.db_conninfo = fx.freshDatabase("notify_kill");
  ho.http_port = freeTcpPort();
  ho.extra_yaml = "notify:\n  timeout: 1s\n  poll_interval: 100ms\n  retry_initial: 200ms\n"
                  "  channels:\n" +
                  channelYaml("ops", "http://127.0.0.1:" + std::to_string(rx.port()) + "/lag",
                              dir + "/secret");
  constexpr int kRows = 8;
  {
    HubProcess hub(fx, dir, ho);
    REQUIRE(hub.waitReady(30s));
    for (int i = 0; i < kRows; ++i) {
      enqueue(ho.db_conninfo, "ops", "i" + std::to_string(i));
    }
    // Kill while a request is in flight (the receiver holds each one for 400 ms).
    REQUIRE(waitUntil([&] { return rx.received("/lag").size() >= 3; }, 20s));
    hub.process().stop(SIGKILL);
  }
  const auto before = rx.received("/lag").size();
  INFO("received before the kill: " << before);
  CHECK(before < static_cast<std::size_t>(kRows));
  HubProcess again(fx, dir, ho);
  REQUIRE(again.waitReady(30s));
  INFO(again.log());
  REQUIRE(waitUntil(
      [&] {
        return count(ho.db_conninfo, "SELECT count(*) FROM notification_outbox WHERE status = "
                                     "'delivered'") == kRows;
      },
      40s));
  std::map<std::string, int> per_key;
  for (const auto& r : rx.received("/lag")) {
    ++per_key[r.key];
  }
  CHECK(per_key.size() == static_cast<std::size_t>(kRows));  // none lost
  int duplicates = 0;
  for (const auto& [key, n] : per_key) {
    CHECK(n <= 2);
    duplicates += n - 1;
  }
  CHECK(duplicates <= 1);  // at most the one in flight at the kill
}
