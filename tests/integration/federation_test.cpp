// Federation between three sites: four nats-servers started here (three sites joined by
// leafnodes to a hub-of-hubs, configured like deploy/nats/site-leaf.conf), three hubs with three
// databases in the fixture's PostgreSQL, and an agent on site B probing a local sample server.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/nats/nats_client.hpp"
#include "ctl/nats_config.hpp"
#include "hub/federation/summary_codec.hpp"
#include "tests/support/http_peers.hpp"
#include "tests/support/process.hpp"
#include "tests/support/stack.hpp"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* kDeny =
    R"(["vitals.>", "$JS.>", "$JSC.>", "$KV.>", "$O.>", "$SYS.>", "_INBOX.>"])";

// One nats-server of the topology. A site server has JetStream (its own domain) and, while
// `linked`, a leafnode remote to the hub-of-hubs; restart() keeps its ports and store.
class NatsNode {
 public:
  NatsNode(const Fixture& fx, std::string dir, std::string name, int leaf_listen, int leaf_remote)
      : fx_(fx),
        dir_(std::move(dir)),
        name_(std::move(name)),
        port_(freeTcpPort()),
        monitor_(freeTcpPort()),
        leaf_listen_(leaf_listen),
        leaf_remote_(leaf_remote) {
    start(true);
  }
  ~NatsNode() { stop(); }

  // The hub-of-hubs accepts one leafnode user per site; `linked` false leaves site-b out (its
  // leafnode is refused: the link is cut). A site server connects as its own user.
  void start(bool linked) {
    std::string conf = "listen: 127.0.0.1:" + std::to_string(port_) + "\n" +
                       "http: 127.0.0.1:" + std::to_string(monitor_) + "\n";
    if (leaf_listen_ > 0) {
      std::string users;
      for (const char* site : {"site-a", "site-b", "site-c"}) {
        if (linked || std::string(site) != "site-b") {
          users += std::string("{user: \"") + site + "\", password: \"pw-" + site + "\"}, ";
        }
      }
      conf += "leafnodes { listen: 127.0.0.1:" + std::to_string(leaf_listen_) +
              ", authorization { users: [ " + users + "] } }\n";
    } else {
      conf += "jetstream { store_dir: \"" + dir_ + "/js-" + name_ + "\", domain: \"" + name_ +
              "\", max_memory_store: 64MB, max_file_store: 1GB }\n";
      conf += "leafnodes { remotes: [ { url: \"nats-leaf://" + name_ + ":pw-" + name_ +
              "@127.0.0.1:" + std::to_string(leaf_remote_) + "\", deny_exports: " + kDeny +
              ", deny_imports: " + kDeny + " } ] }\n";
    }
    const std::string path = dir_ + "/" + name_ + ".conf";
    writeFile(path, conf);
    proc_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/bin/sh", "-c", "exec nats-server -c " + path},
        dir_ + "/" + name_ + "-" + std::to_string(++starts_) + ".log", fx_.run_dir + "/pids");
    REQUIRE(waitUntil([&] { return httpGet(monitor_, "/healthz").status == 200; }, 15s));
  }
  void stop() {
    if (proc_) {
      proc_->stop(SIGTERM);
      proc_.reset();
    }
  }
  void restart(bool linked) {
    stop();
    start(linked);
  }
  // Leafnode connections of this server (/leafz).
  int leafs() const {
    auto r = httpGet(monitor_, "/leafz");
    if (r.status != 200) {
      return -1;
    }
    return json::parse(r.body).value("leafnodes", 0);
  }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  // The fixture as seen by a hub or agent of this site.
  Fixture site() const {
    Fixture f = fx_;
    f.nats_url = url();
    f.nats_port = port_;
    f.nats_monitor_port = monitor_;
    return f;
  }

 private:
  const Fixture& fx_;
  std::string dir_;
  std::string name_;
  int port_;
  int monitor_;
  int leaf_listen_;
  int leaf_remote_;
  int starts_ = 0;
  std::unique_ptr<ChildProcess> proc_;
};

json getJson(int port, const std::string& path) {
  auto r = httpGet(port, path);
  if (r.status != 200) {
    return json();
  }
  return json::parse(r.body, nullptr, false);
}

// The remote hub as `port`'s hub sees it (null when unknown).
json remoteHub(int port, const std::string& id) {
  auto r = httpGet(port, "/api/v1/federation/hubs/" + id);
  return r.status == 200 ? json::parse(r.body, nullptr, false) : json();
}

bool remoteFresh(int port, const std::string& id) {
  const auto h = remoteHub(port, id);
  return h.is_object() && h["stale"] == false;
}

bool remoteStale(int port, const std::string& id) {
  const auto h = remoteHub(port, id);
  return h.is_object() && h["stale"] == true;
}

// Status of `service` of hub `hub` in `port`'s global view ("" when absent).
std::string globalStatus(int port, const std::string& hub, const std::string& service) {
  const auto body = getJson(port, "/api/v1/federation/services?hub=" + hub);
  if (!body.is_object()) {
    return "";
  }
  for (const auto& s : body["services"]) {
    if (s["name"] == service) {
      return s["status"].get<std::string>();
    }
  }
  return "";
}

std::string localStatus(int port, const std::string& service) {
  const auto body = getJson(port, "/api/v1/services/" + service);
  return body.is_object() ? body.value("status", "") : "";
}

HubOptions siteHub(const Fixture& fx, const std::string& id, const std::string& extra) {
  HubOptions o;
  o.hub_id = id;
  o.db_conninfo = fx.freshDatabase("fed_" + std::string(1, id.back()));
  o.http_port = freeTcpPort();
  o.extra_yaml = "federation:\n  enabled: true\n  summary_interval: 1s\n  url: http://" + id +
                 ".example\n" + extra;
  return o;
}

struct Topology {
  explicit Topology(const Fixture& fx, const std::string& dir)
      : leaf(freeTcpPort()),
        hoh(fx, dir, "hoh", leaf, 0),
        a(fx, dir, "site-a", 0, leaf),
        b(fx, dir, "site-b", 0, leaf),
        c(fx, dir, "site-c", 0, leaf) {
    REQUIRE(waitUntil([&] { return hoh.leafs() == 3; }, 15s));
  }
  int leaf;
  NatsNode hoh;
  NatsNode a;
  NatsNode b;
  NatsNode c;
};

}  // namespace

TEST_CASE(
    "three sites: B's service going down reaches A's global view, a cut B is stale on A "
    "and C while it keeps working, healing converges",
    "[integration][federation]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("federation");
  Topology net(fx, dir);
  const auto fa = net.a.site();
  const auto fb = net.b.site();
  const auto fc = net.c.site();
  HubProcess hub_a(fa, fx.workDir("federation-a"), siteHub(fx, "site-a", "  alert_on: [site-b]\n"));
  HubProcess hub_b(fb, fx.workDir("federation-b"), siteHub(fx, "site-b", ""));
  HubProcess hub_c(fc, fx.workDir("federation-c"), siteHub(fx, "site-c", ""));
  for (auto* h : {&hub_a, &hub_b, &hub_c}) {
    if (!h->waitReady(30s)) {
      FAIL("hub did not become ready:\n" << h->log());
    }
  }
  const int web_port = freeTcpPort();
  SampleServer web(web_port);
  web.start();
  AgentProcess agent(
      fb, dir, "agent-b",
      "  - name: web-b\n    kind: http\n    url: http://127.0.0.1:" + std::to_string(web_port) +
          "/healthz\n    interval: 500ms\n    timeout: 400ms\n");
  INFO("hub A log:\n"
       << hub_a.log() << "\nhub B log:\n"
       << hub_b.log() << "\nagent log:\n"
       << agent.log());

  // Everyone hears everyone; B's service is in A's and C's global views.
  REQUIRE(waitUntil([&] { return localStatus(hub_b.port(), "web-b") == "healthy"; }, 30s));
  REQUIRE(waitUntil([&] { return globalStatus(hub_a.port(), "site-b", "web-b") == "up"; }, 10s));
  REQUIRE(waitUntil([&] { return globalStatus(hub_c.port(), "site-b", "web-b") == "up"; }, 10s));
  // B hears A and C too (their next summaries, at most a summary interval away).
  CHECK(waitUntil([&] { return remoteFresh(hub_b.port(), "site-a"); }, 5s));
  CHECK(waitUntil([&] { return remoteFresh(hub_b.port(), "site-c"); }, 5s));
  const auto b_on_a = remoteHub(hub_a.port(), "site-b");
  CHECK(b_on_a["url"] == "http://site-b.example");
  CHECK(b_on_a["services"]["total"] == 1);
  // The agents' traffic stays in its site: A's stream has nothing of B's agent.
  CHECK(getJson(hub_a.port(), "/api/v1/agents")["agents"].empty());

  // Down on B: in A's view within 2 x summary_interval of B recording it.
  web.stop();
  REQUIRE(waitUntil([&] { return localStatus(hub_b.port(), "web-b") == "down"; }, 20s));
  CHECK(waitUntil([&] { return globalStatus(hub_a.port(), "site-b", "web-b") == "down"; }, 2s));
  REQUIRE(waitUntil([&] { return globalStatus(hub_c.port(), "site-b", "web-b") == "down"; }, 5s));

  // Cut B's leafnode: the hub-of-hubs comes back without B's leafnode user (A and C reconnect).
  net.hoh.restart(false);
  REQUIRE(waitUntil([&] { return net.hoh.leafs() == 2; }, 15s));
  CHECK(waitUntil([&] { return remoteStale(hub_a.port(), "site-b"); }, 10s));
  CHECK(waitUntil([&] { return remoteStale(hub_c.port(), "site-b"); }, 10s));
  CHECK(waitUntil([&] { return remoteFresh(hub_a.port(), "site-c"); }, 10s));  // A, C still talk
  const auto stale = remoteHub(hub_a.port(), "site-b");
  CHECK(stale["last_heard_at"].is_string());
  // B keeps working alone: it probes, stores and sees the recovery; it sees A and C stale.
  web.start();
  CHECK(waitUntil([&] { return localStatus(hub_b.port(), "web-b") == "healthy"; }, 20s));
  CHECK(waitUntil([&] { return remoteStale(hub_b.port(), "site-a"); }, 10s));
  // A watches B: the silence is an incident on A, through the alert engine.
  CHECK(waitUntil(
      [&] {
        const auto alerts = getJson(hub_a.port(), "/api/v1/alerts?service=hub:site-b&state=open");
        return alerts.is_object() && !alerts["alerts"].empty();
      },
      10s));
  // A still shows B's last known status, flagged stale.
  CHECK(globalStatus(hub_a.port(), "site-b", "web-b") == "down");

  // Heal: B's server rejoins; every view converges on B's current state.
  net.hoh.restart(true);
  REQUIRE(waitUntil([&] { return net.hoh.leafs() == 3; }, 15s));
  CHECK(waitUntil([&] { return remoteFresh(hub_a.port(), "site-b"); }, 10s));
  CHECK(waitUntil([&] { return globalStatus(hub_a.port(), "site-b", "web-b") == "up"; }, 10s));
  CHECK(waitUntil([&] { return globalStatus(hub_c.port(), "site-b", "web-b") == "up"; }, 10s));
  CHECK(waitUntil([&] { return remoteFresh(hub_b.port(), "site-a"); }, 10s));
  CHECK(waitUntil(
      [&] {
        const auto alerts = getJson(hub_a.port(), "/api/v1/alerts?service=hub:site-b&state=open");
        return alerts.is_object() && alerts["alerts"].empty();
      },
      10s));
  // The registry is in A's database too.
  const auto rows = getJson(hub_a.port(), "/api/v1/federation/hubs");
  CHECK(rows["hubs"].size() == 2);
}

TEST_CASE(
    "bad summaries (garbage, truncated, oversized, wrong id, own id, future, far past) are "
    "dropped and counted, and nothing else is disturbed",
    "[integration][federation]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("federation-bad-input");
  Topology net(fx, dir);
  const auto fa = net.a.site();
  HubProcess hub_a(fa, fx.workDir("federation-bad-a"),
                   siteHub(fx, "site-a", "  max_summary_bytes: 65536\n  max_age: 1m\n"));
  HubProcess hub_c(net.c.site(), fx.workDir("federation-bad-c"), siteHub(fx, "site-c", ""));
  for (auto* h : {&hub_a, &hub_c}) {
    if (!h->waitReady(30s)) {
      FAIL("hub did not become ready:\n" << h->log());
    }
  }
  INFO("hub A log:\n" << hub_a.log());
  REQUIRE(waitUntil([&] { return remoteFresh(hub_a.port(), "site-c"); }, 10s));

  // The attacker publishes on site B's server: its messages cross the leafnodes like a hub's.
  nats::ConnectOptions o;
  o.url = net.b.url();
  auto conn = nats::Connection::connect(o);
  REQUIRE(conn.ok());
  auto& bus = *conn.value();
  REQUIRE(waitUntil([&] { return bus.connected(); }, 5s));

  hub::federation::HubSummary good;
  good.hub_id = "site-x";
  good.timestamp = std::chrono::system_clock::now();
  good.full = true;
  good.sequence = 1;
  good.overall_status = "healthy";
  good.summary_interval = 1s;
  hub::federation::ServiceSummary svc;
  svc.name = "evil";
  svc.status = HealthStatus::Down;
  good.services = {svc};
  good.service_count = 1;
  const std::string bytes = hub::federation::encodeSummary(good);
  auto variant = [&](auto change) {
    auto s = good;
    change(s);
    return hub::federation::encodeSummary(s);
  };
  const std::string x = "hub.site-x.health.summary";
  REQUIRE(bus.publish(x, "\x08\xff\xff garbage \x01").ok());
  REQUIRE(bus.publish(x, bytes.substr(0, bytes.size() - 3)).ok());
  REQUIRE(bus.publish(x, std::string(100000, 'A')).ok());
  REQUIRE(
      bus.publish("hub.site-c.health.summary", variant([](auto& s) { s.hub_id = "site-x"; })).ok());
  REQUIRE(
      bus.publish("hub.site-a.health.summary", variant([](auto& s) { s.hub_id = "site-a"; })).ok());
  REQUIRE(bus.publish(x, variant([](auto& s) { s.timestamp += std::chrono::hours{1}; })).ok());
  REQUIRE(bus.publish(x, variant([](auto& s) { s.timestamp -= std::chrono::hours{1}; })).ok());
  REQUIRE(bus.flush(2s).ok());

  auto dropped = [&](const std::string& reason) {
    auto m = httpGet(hub_a.port(), "/metrics");
    return metricValue(m.body, "vitals_federation_dropped_total{reason=\"" + reason + "\"}");
  };
  CHECK(waitUntil([&] { return dropped("too_old") >= 1; }, 10s));
  CHECK(dropped("decode") >= 1);
  CHECK(dropped("decode") + dropped("incomplete") >= 2);  // garbage and the truncated one
  CHECK(dropped("oversized") >= 1);
  CHECK(dropped("wrong_id") >= 1);
  CHECK(dropped("own_id") >= 1);
  CHECK(dropped("future") >= 1);
  // Nothing reached the view; the genuine hub is still fine; A is still healthy.
  CHECK(remoteHub(hub_a.port(), "site-x").is_null());
  CHECK(globalStatus(hub_a.port(), "site-a", "evil").empty());
  CHECK(remoteFresh(hub_a.port(), "site-c"));
  CHECK(httpGet(hub_a.port(), "/readyz").status == 200);
  // A genuine-looking one is accepted (the checks above were the only difference).
  REQUIRE(bus.publish(x, variant([](auto& s) { s.timestamp = std::chrono::system_clock::now(); }))
              .ok());
  CHECK(waitUntil([&] { return remoteHub(hub_a.port(), "site-x").is_object(); }, 5s));
}

TEST_CASE(
    "with the identities of vitalsctl nats-config, a hub may publish only its own hub.<id> "
    "subjects and hears every hub's",
    "[integration][federation][nats]") {
  const auto fx = Fixture::load();
  const auto dir = fx.workDir("federation-identity");
  ctl::NatsConfigRequest req;
  req.agents = {"a1"};
  req.hub_user = "hub";
  req.hub_id = "site-a";
  auto generated = ctl::generateNatsConfig(req, ctl::systemNatsConfigDeps());
  REQUIRE(generated.ok());
  std::string hub_password;
  for (const auto& id : generated->identities) {
    if (id.user == "hub") {
      hub_password = id.password;
    }
  }
  const int port = freeTcpPort();
  const int monitor = freeTcpPort();
  writeFile(dir + "/nats.conf", "listen: 127.0.0.1:" + std::to_string(port) + "\nhttp: 127.0.0.1:" +
                                    std::to_string(monitor) + "\n" + generated->authorization);
  ChildProcess server({"/bin/sh", "-c", "exec nats-server -c " + dir + "/nats.conf"},
                      dir + "/nats.log", fx.run_dir + "/pids");
  REQUIRE(waitUntil([&] { return httpGet(monitor, "/healthz").status == 200; }, 15s));

  std::mutex mu;
  std::vector<std::string> errors;
  std::vector<std::string> heard;
  nats::ConnectOptions o;
  o.url = "nats://127.0.0.1:" + std::to_string(port);
  o.user = "hub";
  o.password = hub_password;
  o.inbox_prefix = "_INBOX_site-a";
  o.on_async_error = [&](const std::string& e) {
    std::lock_guard lock(mu);
    errors.push_back(e);
  };
  auto c = nats::Connection::connect(o);
  REQUIRE(c.ok());
  auto& hub = *c.value();
  REQUIRE(waitUntil([&] { return hub.connected(); }, 5s));
  auto sub = hub.subscribe("hub.>", [&](const nats::Subscription::Message& m) {
    std::lock_guard lock(mu);
    heard.push_back(m.subject);
  });
  REQUIRE(sub.ok());
  REQUIRE(hub.flush(2s).ok());

  REQUIRE(hub.publish("hub.site-b.health.summary", "spoof").ok());  // refused by the server
  REQUIRE(hub.publish("hub.site-a.health.summary", "own").ok());
  REQUIRE(hub.publish("hub.global.health", "global").ok());
  REQUIRE(hub.flush(2s).ok());
  CHECK(waitUntil(
      [&] {
        std::lock_guard lock(mu);
        return heard.size() >= 2 && !errors.empty();
      },
      5s));
  std::lock_guard lock(mu);
  CHECK(std::find(heard.begin(), heard.end(), "hub.site-b.health.summary") == heard.end());
  CHECK(std::find(heard.begin(), heard.end(), "hub.site-a.health.summary") != heard.end());
  CHECK(std::find(heard.begin(), heard.end(), "hub.global.health") != heard.end());
  REQUIRE_FALSE(errors.empty());
  CHECK(errors[0].find("hub.site-b.health.summary") != std::string::npos);
}
