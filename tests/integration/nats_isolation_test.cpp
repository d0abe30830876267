// Per-agent NATS identities against a real nats-server started by this test with the
// authorization block `vitalsctl nats-config` generates: every cross-agent publish and subscribe
// is refused, an agent's own JetStream publish works, a real agent and hub work with passwords
// over TLS, and mutual TLS maps a client certificate to an agent identity.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>

#include "common/model/codec.hpp"
#include "common/nats/nats_client.hpp"
#include "common/nats/subjects.hpp"
#include "ctl/nats_config.hpp"
#include "tests/support/pg_query.hpp"
#include "tests/support/process.hpp"
#include "tests/support/stack.hpp"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

// Async errors and received messages of one client connection.
struct Observed {
  std::mutex mu;
  std::vector<std::string> errors;
  std::vector<std::string> received;  // subjects

  bool hasError(const std::string& needle) {
    std::lock_guard lock(mu);
    for (const auto& e : errors) {
      if (e.find(needle) != std::string::npos) {
        return true;
      }
    }
    return false;
  }
  std::size_t receivedCount() {
    std::lock_guard lock(mu);
    return received.size();
  }
  std::string dump() {
    std::lock_guard lock(mu);
    std::string out;
    for (const auto& e : errors) {
      out += "  error: " + e + "\n";
    }
    for (const auto& r : received) {
      out += "  received: " + r + "\n";
    }
    return out;
  }
};

struct TlsFiles {
  std::string ca_cert, ca_key, server_cert, server_key, a1_cert, a1_key;
};

// A CA, a server certificate for 127.0.0.1/localhost and a client certificate whose SAN DNS
// name is "a1" (what verify_and_map maps to the user a1), made with the openssl CLI.
TlsFiles makeCertificates(const std::string& dir) {
  TlsFiles f{dir + "/ca.pem", dir + "/ca.key", dir + "/server.pem", dir + "/server.key",
             dir + "/a1.pem", dir + "/a1.key"};
  const std::string script =
      "set -e; cd " + dir + "\n" +
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=vitals-test-ca "
      "-keyout ca.key -out ca.pem\n"
      "openssl req -newkey rsa:2048 -nodes -subj /CN=nats-test -keyout server.key -out server.csr\n"
      "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > server.ext\n"
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
      "-extfile server.ext -out server.pem\n"
      "openssl req -newkey rsa:2048 -nodes -subj /CN=a1 -keyout a1.key -out a1.csr\n"
      "printf 'subjectAltName=DNS:a1\\nextendedKeyUsage=clientAuth\\n' > a1.ext\n"
      "openssl x509 -req -in a1.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
      "-extfile a1.ext -out a1.pem\n";
  ChildProcess gen({"/bin/sh", "-c", script}, dir + "/openssl.log");
  REQUIRE(gen.waitExit(60000) == 0);
  return f;
}

std::string readPassword(const std::string& dir, const std::string& user) {
  auto p = readFile(dir + "/" + user + ".password");
  while (!p.empty() && (p.back() == '\n' || p.back() == '\r')) {
    p.pop_back();
  }
  return p;
}

// Our own nats-server: JetStream in dir, free ports, the generated authorization block.
class AuthNats {
 public:
  AuthNats(const Fixture& fx, const std::string& dir, const std::vector<std::string>& agents,
           const std::string& tls_block = "", bool nkeys = false,
           const std::vector<std::string>& event_sources = {})
      : dir_(dir), port_(freeTcpPort()), monitor_port_(freeTcpPort()), nkeys_(nkeys) {
    ctl::NatsConfigRequest req;
    req.agents = agents;
    req.hub_user = "hub";
    req.hub_id = "hub-main";
    req.nkeys = nkeys;
    req.event_sources = event_sources;
    auto generated = ctl::generateNatsConfig(req, ctl::systemNatsConfigDeps());
    REQUIRE(generated.ok());
    for (const auto& id : generated->identities) {
      writeFile(dir + "/" + id.user + ".password", id.password + "\n");
      writeFile(dir + "/" + id.user + ".nk", id.nkey_seed + "\n");
      nkey_public_[id.user] = id.nkey_public;
    }
    conf_ = dir + "/nats.conf";
    writeFile(conf_, "listen: 127.0.0.1:" + std::to_string(port_) + "\n" +
                         "http: 127.0.0.1:" + std::to_string(monitor_port_) + "\n" +
                         "jetstream { store_dir: \"" + dir + "/js\", max_memory_store: 64MB, "
                         "max_file_store: 2GB }\n" +
                         tls_block + generated->authorization);
    proc_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/bin/sh", "-c", "exec nats-server -c " + conf_}, dir + "/nats.log",
        fx.run_dir + "/pids");
    ready_ = waitUntil(
        [&] { return httpGet(monitor_port_, "/healthz?js-enabled-only=true").status == 200; },
        15s);
  }
  ~AuthNats() { proc_->stop(SIGTERM); }

  bool ready() const { return ready_; }
  std::string url(const std::string& scheme = "nats") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_);
  }
  std::string password(const std::string& user) const { return readPassword(dir_, user); }
  std::string passwordFile(const std::string& user) const {
    return dir_ + "/" + user + ".password";
  }
  std::string log() const { return proc_->log(); }
  std::string nkeyPublic(const std::string& user) const { return nkey_public_.at(user); }

  // A client connection as `user` (empty: anonymous) that records async errors.
  std::unique_ptr<nats::Connection> connect(const std::string& user, Observed& seen,
                                            nats::ConnectOptions o = {}) const {
    if (o.url == nats::ConnectOptions{}.url) {
      o.url = url();
    }
    o.name = "isolation-test " + user;
    if (!user.empty() && o.tls.cert_file.empty() && nkeys_) {
      o.nkey = nkey_public_.at(user);
      o.nkey_seed_file = dir_ + "/" + user + ".nk";
    } else if (!user.empty() && o.tls.cert_file.empty()) {
      o.user = user;
      o.password = password(user);
    }
    if (o.inbox_prefix.empty() && !user.empty()) {
      o.inbox_prefix = "_INBOX_" + (user == "hub" ? std::string("hub-main") : user);
    }
    o.reconnect_wait = 100ms;
    o.on_async_error = [&seen](const std::string& e) {
      std::lock_guard lock(seen.mu);
      seen.errors.push_back(e);
    };
    auto c = nats::Connection::connect(o);
    REQUIRE(c.ok());
    auto conn = std::move(c.value());
    waitUntil([&] { return conn->connected(); }, 5s);
    return conn;
  }

 private:
  std::string dir_;
  int port_;
  int monitor_port_;
  std::string conf_;
  std::unique_ptr<ChildProcess> proc_;
  bool ready_ = false;
  bool nkeys_ = false;
  std::map<std::string, std::string> nkey_public_;
};

std::unique_ptr<nats::Subscription> subscribeInto(nats::Connection& c, const std::string& subject,
                                                  Observed& seen) {
  auto sub = c.subscribe(subject, [&seen](const nats::Subscription::Message& m) {
    std::lock_guard lock(seen.mu);
    seen.received.push_back(m.subject);
  });
  REQUIRE(sub.ok());  // NATS.c subscribes asynchronously: refusals arrive as async errors
  return std::move(sub.value());
}

nats::StreamConfig vitalsStream() {
  nats::StreamConfig s;
  s.name = std::string(subjects::kStreamName);
  s.subjects = {std::string(subjects::kAgentWildcard)};
  s.max_age = std::chrono::hours{1};
  return s;
}

ResultBatch batchFor(const std::string& agent, const std::string& check, std::uint64_t seq) {
  ResultBatch b;
  b.agent_id = agent;
  b.boot_id = "forge-boot";
  CheckResult r;
  r.agent_id = agent;
  r.boot_id = b.boot_id;
  r.seq = seq;
  r.service = check;
  r.check = check;
  r.kind = "tcp";
  r.status = HealthStatus::Healthy;
  r.raw_status = HealthStatus::Healthy;
  r.observed_at = std::chrono::system_clock::now();
  b.results.push_back(r);
  return b;
}

}  // namespace

TEST_CASE("nats-server with the generated identities refuses every cross-agent publish and "
          "subscribe, and lets an agent publish and store its own results",
          "[integration][nats][security]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("nats-isolation");
  AuthNats server(fx, dir, {"a1", "a2"}, "", false, {"alertmanager"});
  REQUIRE(server.ready());

  Observed hub_seen, a1_seen, a2_seen, anon_seen;
  auto hub = server.connect("hub", hub_seen);
  auto a1 = server.connect("a1", a1_seen);
  auto a2 = server.connect("a2", a2_seen);
  INFO("hub:\n" << hub_seen.dump() << "a1:\n" << a1_seen.dump() << "a2:\n" << a2_seen.dump()
                << "nats log:\n" << server.log());
  REQUIRE(hub->connected());
  REQUIRE(a1->connected());
  REQUIRE(a2->connected());

  // No credentials, or a wrong password: no connection at all.
  {
    nats::ConnectOptions wrong;
    wrong.user = "a1";
    wrong.password = "not-the-password";
    auto bad = server.connect("", anon_seen, wrong);
    auto anon = server.connect("", anon_seen);
    CHECK_FALSE(bad->connected());
    CHECK_FALSE(anon->connected());
  }

  // The hub (and only the hub) manages the stream.
  REQUIRE(hub->ensureStream(vitalsStream()).ok());
  CHECK_FALSE(a1->ensureStream(vitalsStream()).ok());

  // An agent's own JetStream publish is stored (plain publish + ack on its own inbox).
  auto own = a1->jsPublish(subjects::agentResults("a1"), "own", "a1-own-1", 3s);
  REQUIRE(own.ok());
  CHECK(own->stream_seq == 1);
  CHECK(a2->jsPublish(subjects::agentHeartbeat("a2"), "own", "a2-own-1", 3s).ok());

  // Cross-agent publishes: refused by the server, nothing stored.
  for (const auto& subject : {subjects::agentResults("a2"), subjects::agentRegister("a2"),
                              subjects::agentHeartbeat("a2"), subjects::agentDeregister("a2")}) {
    auto forged = a1->jsPublish(subject, "forged", "forged-" + subject, 1s);
    CHECK_FALSE(forged.ok());
    CHECK(waitUntil([&] { return a1_seen.hasError("Permissions Violation for Publish to \"" +
                                                  subject + "\""); },
                    5s));
  }
  // Nor may an agent send commands, hub subjects or JetStream API calls.
  for (const std::string& subject : {std::string("vitals.cmd.a2.restart"),
                                    std::string("hub.hub-main.ready"),
                                    std::string("$JS.API.STREAM.INFO.VITALS"),
                                    std::string("$JS.API.STREAM.PURGE.VITALS"),
                                    std::string("$SYS.REQ.SERVER.PING")}) {
    CHECK(a1->publish(subject, "x").ok());  // refused asynchronously, like every publish
    CHECK(waitUntil(
        [&] { return a1_seen.hasError("Permissions Violation for Publish to \"" + subject + "\""); },
        5s));
  }

  // What the stream holds: exactly the two own publishes.
  nats::ConsumerConfig cc;
  cc.stream = std::string(subjects::kStreamName);
  cc.durable = "isolation-check";
  cc.filter_subject = std::string(subjects::kAgentWildcard);
  auto consumer = hub->pullConsumer(cc);
  REQUIRE(consumer.ok());
  std::vector<std::string> stored;
  for (int i = 0; i < 5; ++i) {
    auto batch = consumer.value()->fetch(10, 300ms);
    REQUIRE(batch.ok());
    for (auto& m : batch.value()) {
      stored.emplace_back(m.subject());
      CHECK(m.ackSync().ok());
    }
  }
  CHECK(stored == std::vector<std::string>{"vitals.agent.a1.results", "vitals.agent.a2.heartbeat"});

  // Cross-agent subscriptions: refused, and nothing is delivered on them.
  Observed spy;
  std::vector<std::unique_ptr<nats::Subscription>> subs;
  const std::vector<std::string> forbidden = {"vitals.cmd.a2.>", "vitals.cmd.>", "vitals.agent.>",
                                              "vitals.agent.a2.>", "$SYS.>", "_INBOX_a2.>",
                                              "_INBOX.>", ">", "$JS.API.>"};
  for (const auto& subject : forbidden) {
    subs.push_back(subscribeInto(*a1, subject, spy));
    CHECK(waitUntil([&] { return a1_seen.hasError("Permissions Violation for Subscription to \"" +
                                                  subject + "\""); },
                    5s));
  }
  // Traffic a1 would see if any of those had been allowed: a command to a2 (which a2 answers
  // on the hub's inbox), a2's own results and a2's JetStream acks on _INBOX_a2.
  Observed a2_cmds;
  auto a2_cmd_sub = a2->subscribe("vitals.cmd.a2.>", [&](const nats::Subscription::Message& m) {
    {
      std::lock_guard lock(a2_cmds.mu);
      a2_cmds.received.push_back(m.subject);
    }
    if (!m.reply.empty()) {
      (void)a2->publish(m.reply, "pong-a2");
    }
  });
  REQUIRE(a2_cmd_sub.ok());
  REQUIRE(a2->flush(2s).ok());
  auto reply = hub->request("vitals.cmd.a2.ping", "ping", 3s);
  REQUIRE(reply.ok());  // the hub's command path works: a2 may answer on the reply subject
  CHECK(reply.value() == "pong-a2");
  CHECK(a2->jsPublish(subjects::agentResults("a2"), "a2 results", "a2-own-2", 3s).ok());
  CHECK(a1->flush(2s).ok());
  CHECK(a2_cmds.receivedCount() == 1);
  CHECK(spy.receivedCount() == 0);
  INFO("a1 spy:\n" << spy.dump());

  // Each agent receives its own commands, and only those.
  Observed a1_cmds;
  auto a1_cmd_sub = subscribeInto(*a1, "vitals.cmd.a1.>", a1_cmds);
  REQUIRE(a1->flush(2s).ok());
  REQUIRE(hub->publish("vitals.cmd.a1.recheck", "x").ok());
  REQUIRE(hub->publish("vitals.cmd.a2.recheck", "x").ok());
  REQUIRE(hub->flush(2s).ok());
  CHECK(waitUntil([&] { return a1_cmds.receivedCount() == 1; }, 5s));
  CHECK(waitUntil([&] { return a2_cmds.receivedCount() == 2; }, 5s));
  CHECK(a1_cmds.receivedCount() == 1);
  CHECK(spy.receivedCount() == 0);

  // An event source may send inbound events on its own subject (and get the hub's answer),
  // nothing else.
  Observed source_seen;
  auto source = server.connect("alertmanager", source_seen);
  REQUIRE(source->connected());
  auto events_sub = hub->subscribe("vitals.events.>", [&](const nats::Subscription::Message& m) {
    if (!m.reply.empty()) {
      (void)hub->publish(m.reply, "accepted " + m.subject);
    }
  });
  REQUIRE(events_sub.ok());
  REQUIRE(hub->flush(2s).ok());
  auto answer = source->request("vitals.events.alertmanager", "{}", 3s);
  REQUIRE(answer.ok());
  CHECK(answer.value() == "accepted vitals.events.alertmanager");
  for (const std::string& subject : {std::string("vitals.events.other"),
                                     subjects::agentResults("a1"),
                                     std::string("vitals.cmd.a1.restart")}) {
    CHECK(source->publish(subject, "x").ok());
    CHECK(waitUntil([&] { return source_seen.hasError("Permissions Violation for Publish to \"" +
                                                      subject + "\""); },
                    5s));
  }
  CHECK_FALSE(hub_seen.hasError("Permissions Violation"));
  CHECK_FALSE(a2_seen.hasError("Permissions Violation"));
}

TEST_CASE("a vitals-agent and vitals-hub with their own NATS identities work over TLS, and a "
          "forged result for another agent never reaches the database",
          "[integration][nats][security]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("nats-identities-e2e");
  const auto tls = makeCertificates(dir);
  AuthNats server(fx, dir, {"a1", "a2"},
                  "tls { cert_file: \"" + tls.server_cert + "\", key_file: \"" + tls.server_key +
                      "\" }\n");
  REQUIRE(server.ready());

  const std::string db = fx.freshDatabase("nats_identities");
  const int http_port = freeTcpPort();
  const std::string tls_yaml =
      "  tls:\n    ca_file: " + tls.ca_cert + "\n    server_name: localhost\n";
  writeFile(dir + "/hub.yaml",
            "hub_id: hub-main\n"
            "nats:\n  url: " + server.url("tls") + "\n  user: hub\n  password_file: " +
                server.passwordFile("hub") + "\n" + tls_yaml +
                "database:\n  url: \"" + db + "\"\n" +
                "http:\n  listen: \"127.0.0.1:" + std::to_string(http_port) + "\"\n" +
                "ingest:\n  fetch_timeout: 200ms\n  ack_wait: 5s\n" +
                "log:\n  level: info\n  format: text\n");
  ChildProcess hub({fx.bin_dir + "/vitals-hub", "--config", dir + "/hub.yaml"}, dir + "/hub.log",
                   fx.run_dir + "/pids");
  if (!waitUntil([&] { return hub.running() && httpGet(http_port, "/readyz").status == 200; },
                 30s)) {
    FAIL("hub not ready; hub log:\n" << hub.log() << "\nnats log:\n" << server.log());
  }

  writeFile(dir + "/agent-a1.yaml",
            "agent_id: a1\n"
            "nats:\n  url: " + server.url("tls") + "\n  user: a1\n  password_file: " +
                server.passwordFile("a1") + "\n" + tls_yaml +
                "heartbeat_interval: 2s\nlog:\n  level: info\n  format: text\n"
                "publish:\n  max_delay: 50ms\n"
                "checks:\n  - name: a1-http\n    kind: http\n    url: http://127.0.0.1:" +
                std::to_string(http_port) + "/healthz\n    interval: 1s\n    timeout: 500ms\n");
  ChildProcess agent({fx.bin_dir + "/vitals-agent", "--config", dir + "/agent-a1.yaml"},
                     dir + "/agent-a1.log", fx.run_dir + "/pids");

  // The agent's results reach the database through its own identity, over TLS.
  if (!waitUntil([&] {
        return count(db, "SELECT count(*) FROM health_checks WHERE agent_id = 'a1' AND "
                         "check_name = 'a1-http'") >= 2;
      }, 30s)) {
    FAIL("no results from a1; agent log:\n" << agent.log() << "\nhub log:\n" << hub.log());
  }
  CHECK(count(db, "SELECT count(*) FROM agents WHERE agent_id = 'a1'") == 1);

  // Forgeries. a2 holds valid credentials but claims to be a1 in the payload (on its own
  // subject): the server lets it through, the hub rejects the mismatch. a2 publishing on a1's
  // subject: the server refuses. A genuine a2 result goes through (the control).
  nats::ConnectOptions o;
  o.url = server.url("tls");
  o.tls.ca_file = tls.ca_cert;
  o.tls.server_name = "localhost";
  Observed a2_seen;
  auto a2 = server.connect("a2", a2_seen, o);
  REQUIRE(a2->connected());
  CHECK(a2->jsPublish(subjects::agentResults("a2"),
                      codec::encodeBatch(batchFor("a1", "forged-mismatch", 1)), "forge-1", 3s)
            .ok());
  CHECK_FALSE(a2->jsPublish(subjects::agentResults("a1"),
                            codec::encodeBatch(batchFor("a1", "forged-subject", 1)), "forge-2", 1s)
                  .ok());
  CHECK(waitUntil([&] { return a2_seen.hasError("Permissions Violation for Publish to "
                                                "\"vitals.agent.a1.results\""); },
                  5s));
  REQUIRE(a2->jsPublish(subjects::agentResults("a2"),
                        codec::encodeBatch(batchFor("a2", "genuine-a2", 1)), "genuine-1", 3s)
              .ok());
  // The hub consumes in stream order: once the control row is in, the forgery was decided.
  REQUIRE(waitUntil([&] {
    return count(db, "SELECT count(*) FROM health_checks WHERE check_name = 'genuine-a2'") == 1;
  }, 20s));
  CHECK(count(db, "SELECT count(*) FROM health_checks WHERE check_name LIKE 'forged%'") == 0);
  CHECK(count(db, "SELECT count(*) FROM health_checks WHERE agent_id = 'a1' AND "
                  "check_name <> 'a1-http'") == 0);

  // An agent whose id does not match its identity (a2 running with a1's credentials): every
  // publish is refused, vitals_agent_nats_server_errors_total counts it (and the log says it),
  // and nothing of it is stored.
  const int metrics_port = freeTcpPort();
  writeFile(dir + "/agent-impostor.yaml",
            "agent_id: a2\n"
            "nats:\n  url: " + server.url("tls") + "\n  user: a1\n  password_file: " +
                server.passwordFile("a1") + "\n" + tls_yaml +
                "heartbeat_interval: 2s\nheartbeat_listen: 127.0.0.1:" +
                std::to_string(metrics_port) + "\nlog:\n  level: info\n  format: text\n"
                "publish:\n  max_delay: 50ms\n"
                "checks:\n  - name: impostor-http\n    kind: http\n    url: http://127.0.0.1:" +
                std::to_string(http_port) + "/healthz\n    interval: 1s\n    timeout: 500ms\n");
  ChildProcess impostor({fx.bin_dir + "/vitals-agent", "--config", dir + "/agent-impostor.yaml"},
                        dir + "/agent-impostor.log", fx.run_dir + "/pids");
  const bool counted = waitUntil(
      [&] {
        return metricValue(httpGet(metrics_port, "/metrics").body,
                           "vitals_agent_nats_server_errors_total") >= 1;
      },
      20s);
  if (!counted) {
    FAIL("impostor's errors not counted; its log:\n" << impostor.log());
  }
  CHECK(count(db, "SELECT count(*) FROM health_checks WHERE check_name = 'impostor-http'") == 0);
  impostor.stop(SIGKILL);

  CHECK(agent.stop(SIGTERM) == 0);
  CHECK(hub.stop(SIGTERM) == 0);
}

TEST_CASE("mutual TLS maps a client certificate to an agent identity (verify_and_map) and a "
          "client without a certificate is refused",
          "[integration][nats][security]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("nats-mtls");
  const auto tls = makeCertificates(dir);
  // verify_and_map: the user is the certificate's SAN (DNS "a1"); no password is involved.
  // Password users (hub, a2) keep working on the same server only without verify: this server
  // is for certificate users alone, so the authorization block is written by hand here.
  const int port = freeTcpPort();
  const int monitor = freeTcpPort();
  writeFile(dir + "/nats.conf",
            "listen: 127.0.0.1:" + std::to_string(port) + "\n" +
                "http: 127.0.0.1:" + std::to_string(monitor) + "\n" +
                "tls { cert_file: \"" + tls.server_cert + "\", key_file: \"" + tls.server_key +
                "\", ca_file: \"" + tls.ca_cert + "\", verify_and_map: true }\n" +
                "authorization { users: [ { user: \"a1\", permissions: { publish: { allow: " +
                "[\"vitals.agent.a1.>\"] }, subscribe: { allow: [\"vitals.cmd.a1.>\", " +
                "\"_INBOX_a1.>\"] } } } ] }\n");
  ChildProcess server({"/bin/sh", "-c", "exec nats-server -c " + dir + "/nats.conf"}, dir + "/nats.log",
                      fx.run_dir + "/pids");
  INFO("nats log:\n" << server.log());
  REQUIRE(waitUntil([&] { return httpGet(monitor, "/healthz").status == 200; }, 15s));

  auto connect = [&](bool with_cert, Observed& seen) {
    nats::ConnectOptions o;
    o.url = "tls://127.0.0.1:" + std::to_string(port);
    o.tls.ca_file = tls.ca_cert;
    o.tls.server_name = "localhost";
    if (with_cert) {
      o.tls.cert_file = tls.a1_cert;
      o.tls.key_file = tls.a1_key;
    }
    o.inbox_prefix = "_INBOX_a1";
    o.reconnect_wait = 100ms;
    o.on_async_error = [&seen](const std::string& e) {
      std::lock_guard lock(seen.mu);
      seen.errors.push_back(e);
    };
    auto c = nats::Connection::connect(o);
    REQUIRE(c.ok());
    auto conn = std::move(c.value());
    waitUntil([&] { return conn->connected(); }, 5s);
    return conn;
  };
  Observed with_seen, without_seen;
  auto a1 = connect(true, with_seen);
  auto anonymous = connect(false, without_seen);
  INFO("a1:\n" << with_seen.dump());
  REQUIRE(a1->connected());
  CHECK_FALSE(anonymous->connected());

  // The certificate carries a1's permissions.
  CHECK(a1->publish(subjects::agentResults("a1"), "own").ok());
  CHECK(a1->publish(subjects::agentResults("a2"), "forged").ok());
  CHECK(waitUntil([&] { return with_seen.hasError("Permissions Violation for Publish to "
                                                  "\"vitals.agent.a2.results\""); },
                  5s));
  CHECK_FALSE(with_seen.hasError("\"vitals.agent.a1.results\""));
  CHECK(server.stop(SIGTERM) >= 0);
}

TEST_CASE("NKEY identities made by nats-config authenticate, and keep an agent to its own subjects",
          "[integration][nats][security]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("nats-nkeys");
  AuthNats server(fx, dir, {"a1", "a2"}, "", /*nkeys=*/true);
  REQUIRE(server.ready());
  Observed hub_seen, a1_seen, wrong_seen;
  auto hub = server.connect("hub", hub_seen);
  auto a1 = server.connect("a1", a1_seen);
  INFO("a1:\n" << a1_seen.dump() << "nats log:\n" << server.log());
  REQUIRE(hub->connected());
  REQUIRE(a1->connected());
  REQUIRE(hub->ensureStream(vitalsStream()).ok());
  CHECK(a1->jsPublish(subjects::agentResults("a1"), "own", "nk-own-1", 3s).ok());
  CHECK_FALSE(a1->jsPublish(subjects::agentResults("a2"), "forged", "nk-forged-1", 1s).ok());
  CHECK(waitUntil([&] { return a1_seen.hasError("Permissions Violation for Publish to "
                                                "\"vitals.agent.a2.results\""); },
                  5s));
  // a2's seed presented with a1's public key: the signature does not verify, no connection.
  nats::ConnectOptions o;
  o.url = server.url();
  o.nkey = server.nkeyPublic("a1");
  o.nkey_seed_file = dir + "/a2.nk";
  o.reconnect_wait = 100ms;
  auto forged = nats::Connection::connect(o);
  REQUIRE(forged.ok());
  CHECK_FALSE(waitUntil([&] { return forged.value()->connected(); }, 2s));
}
