// The live stream's core (ring, ids, resume, filters, roles, slow clients), its tickets, the SSE
// framing and the stream handler, over ManualTime; nothing sleeps (take() never blocks).
#include <catch2/catch.hpp>

#include "common/time/manual_time.hpp"
#include "hub/api/sse_stream.hpp"
#include "hub/api/stream_handler.hpp"
#include "hub/policy/transition.hpp"
#include "hub/stream/status_events.hpp"
#include "hub/stream/stream_hub.hpp"
#include "hub/stream/ticket_store.hpp"
#include "tests/unit/hub/fakes/fake_key_store.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  ManualTime time;
  metrics::Registry registry;
  stream::StreamSettings settings{5, 3, 4};  // ring 5, queue 3, 4 clients
  stream::StreamHub hub{time, "ab12", settings, registry};

  std::unique_ptr<stream::Subscription> subscribe(const std::string& last_id = "",
                                                  stream::EventFilter filter = {},
                                                  auth::Role role = auth::Role::Readonly) {
    auto sub = hub.subscribe(std::move(filter), role, last_id);
    REQUIRE(sub.ok());
    return std::move(*sub);
  }
  void publish(int n, const std::string& kind = "status", const std::string& service = "db") {
    for (int i = 0; i < n; ++i) {
      hub.publish(kind, service, {{"n", i}});
    }
  }
};

std::vector<std::string> ids(const stream::Subscription::Batch& b) {
  std::vector<std::string> out;
  for (const auto& e : b.events) {
    out.push_back(e->id);
  }
  return out;
}

std::string drain(api::SseStream& s) {
  std::string out;
  std::string piece;
  s.next(piece);
  out += piece;
  return out;
}

}  // namespace

TEST_CASE("event ids count up from 1 within the hub's epoch and parse back",
          "[hub][unit][stream]") {
  Fixture f;
  auto sub = f.subscribe();
  f.publish(3);
  const auto b = sub->take();
  CHECK(ids(b) == std::vector<std::string>{"ab12-1", "ab12-2", "ab12-3"});
  CHECK(f.hub.lastId() == "ab12-3");
  auto parsed = stream::parseEventId("ab12-3");
  REQUIRE(parsed.ok());
  CHECK(parsed->epoch == "ab12");
  CHECK(parsed->seq == 3);
  const auto json = nlohmann::json::parse(b.events[0]->json);
  CHECK(json["id"] == "ab12-1");
  CHECK(json["kind"] == "status");
  CHECK(json["service"] == "db");
  CHECK(json["data"]["n"] == 0);
  CHECK(json["at"] == formatRfc3339(f.time.now()));
  CHECK(f.registry.counter("vitals_stream_events_total", "").value() == 3);
}

TEST_CASE("malformed Last-Event-IDs are refused with a clear error", "[hub][unit][stream]") {
  Fixture f;
  f.publish(2);
  for (const char* bad : {"x", "-3", "ab12-", "ab12-3x", "AB12-1", "ab12--1", "zz-1"}) {
    INFO(bad);
    auto sub = f.hub.subscribe({}, auth::Role::Readonly, bad);
    REQUIRE_FALSE(sub.ok());
    CHECK(sub.error().code == "stream.bad_last_event_id");
    CHECK_THAT(sub.error().message, Catch::Contains("<epoch>-<sequence>"));
  }
  auto ahead = f.hub.subscribe({}, auth::Role::Readonly, "ab12-3");
  REQUIRE_FALSE(ahead.ok());
  CHECK_THAT(ahead.error().message, Catch::Contains("ahead of this hub's newest event ab12-2"));
}

TEST_CASE("resuming from a kept id replays exactly the missed events, then live ones",
          "[hub][unit][stream]") {
  Fixture f;
  f.publish(4);
  auto sub = f.subscribe("ab12-2");
  f.publish(1);
  const auto b = sub->take();
  CHECK_FALSE(b.reset);
  CHECK(ids(b) == std::vector<std::string>{"ab12-3", "ab12-4", "ab12-5"});
  CHECK(sub->take().events.empty());  // nothing twice

  auto from_start = f.subscribe("ab12-0");  // seq 1 is still in the ring of 5
  CHECK(from_start->take().events.size() == 5);
}

TEST_CASE("an id older than the ring or from another epoch gets a reset, never a silent gap",
          "[hub][unit][stream]") {
  Fixture f;
  f.publish(8);  // ring keeps 4..8
  auto old = f.subscribe("ab12-2");
  auto b = old->take();
  REQUIRE(b.reset);
  CHECK_THAT(*b.reset, Catch::Contains("no longer kept"));
  CHECK(b.events.empty());
  CHECK(old->startId() == "ab12-8");

  auto edge = f.subscribe("ab12-3");  // 4 is the oldest kept: no gap
  b = edge->take();
  CHECK_FALSE(b.reset);
  CHECK(ids(b).front() == "ab12-4");

  auto restarted = f.subscribe("99ff-8");
  b = restarted->take();
  REQUIRE(b.reset);
  CHECK_THAT(*b.reset, Catch::Contains("restarted"));
  f.publish(1);
  b = restarted->take();
  CHECK_FALSE(b.reset);  // said once
  CHECK(ids(b) == std::vector<std::string>{"ab12-9"});
}

TEST_CASE("filters pick kinds and service globs", "[hub][unit][stream]") {
  auto filter = stream::parseFilter("status,agent", "db-*,web?");
  REQUIRE(filter.ok());
  CHECK(filter->matches("status", "db-main"));
  CHECK(filter->matches("status", "web1"));
  CHECK_FALSE(filter->matches("status", "web12"));
  CHECK_FALSE(filter->matches("incident", "db-main"));
  CHECK_FALSE(filter->matches("agent", ""));  // a services filter leaves out service-less events
  auto all = stream::parseFilter("", "");
  REQUIRE(all.ok());
  CHECK(all->matches("agent", ""));

  CHECK(stream::globMatch("*", ""));
  CHECK(stream::globMatch("a*b*c", "axxbyyc"));
  CHECK_FALSE(stream::globMatch("a*b*c", "axxbyy"));
  CHECK(stream::globMatch("?", "x"));
  CHECK_FALSE(stream::globMatch("?", ""));

  Fixture f;
  auto sub = f.subscribe("", *stream::parseFilter("status", "db*"));
  f.hub.publish("status", "db1", {});
  f.hub.publish("status", "web", {});
  f.hub.publish("incident", "db1", {});
  const auto b = sub->take();
  REQUIRE(b.events.size() == 1);
  CHECK(b.events[0]->service == "db1");
}

TEST_CASE("bad filters are refused and name the offending item", "[hub][unit][stream]") {
  auto r = stream::parseFilter("status,bogus", "");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "stream.bad_filter");
  CHECK_THAT(r.error().message, Catch::Contains("\"bogus\"") && Catch::Contains("known: status"));
  r = stream::parseFilter("status,", "");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("empty item"));
  r = stream::parseFilter("", "db x");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("\"db x\""));
}

TEST_CASE("a role receives only the events it may read", "[hub][unit][stream]") {
  Fixture f;
  auto readonly = f.subscribe();
  auto admin = f.subscribe("", {}, auth::Role::Admin);
  f.hub.publish("repair", "db", {}, auth::Role::Admin);
  f.hub.publish("status", "db", {});
  CHECK(ids(readonly->take()) == std::vector<std::string>{"ab12-2"});
  CHECK(ids(admin->take()) == std::vector<std::string>{"ab12-1", "ab12-2"});
  // Resuming replays by role too.
  auto late = f.subscribe("ab12-0");
  CHECK(ids(late->take()) == std::vector<std::string>{"ab12-2"});
}

TEST_CASE("a client that stops reading is dropped while the others get every event",
          "[hub][unit][stream]") {
  Fixture f;
  auto slow = f.subscribe();
  auto fast = f.subscribe();
  std::vector<std::string> got;
  for (int i = 0; i < 6; ++i) {
    f.publish(1);
    for (auto& id : ids(fast->take())) {
      got.push_back(id);
    }
  }
  CHECK(got.size() == 6);
  const auto b = slow->take();
  CHECK(b.dropped);
  CHECK(b.events.empty());
  CHECK(f.registry.counter("vitals_stream_dropped_clients_total", "").value() == 1);
  f.publish(1);
  CHECK(slow->take().events.empty());  // nothing more after the drop
}

TEST_CASE("a resumed backlog larger than the queue is delivered, not a drop",
          "[hub][unit][stream]") {
  Fixture f;
  f.publish(5);
  auto sub = f.subscribe("ab12-0");  // 5 events > queue of 3
  f.publish(1);
  const auto b = sub->take();
  CHECK_FALSE(b.dropped);
  CHECK(b.events.size() == 6);
}

TEST_CASE("clients beyond max_clients are refused, leaving frees the place",
          "[hub][unit][stream]") {
  Fixture f;
  std::vector<std::unique_ptr<stream::Subscription>> subs;
  for (int i = 0; i < 4; ++i) {
    subs.push_back(f.subscribe());
  }
  CHECK(f.hub.clients() == 4);
  auto refused = f.hub.subscribe({}, auth::Role::Readonly, "");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "stream.busy");
  subs.pop_back();
  CHECK(f.hub.clients() == 3);
  CHECK(f.hub.subscribe({}, auth::Role::Readonly, "").ok());
}

TEST_CASE("shutdown ends every subscription and refuses new ones", "[hub][unit][stream]") {
  Fixture f;
  auto sub = f.subscribe();
  f.hub.shutdown();
  CHECK(sub->take().closed);
  auto late = f.hub.subscribe({}, auth::Role::Readonly, "");
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().code == "stream.closed");
}

TEST_CASE(
    "SSE framing: retry first, one frame per event, reset with the current id, a final "
    "dropped event",
    "[hub][unit][stream]") {
  Fixture f;
  f.publish(8);
  auto sub = f.hub.subscribe({}, auth::Role::Readonly, "ab12-1");
  REQUIRE(sub.ok());
  api::SseStream sse(std::move(*sub), f.time, 15s, 0ms);
  CHECK_THAT(drain(sse), Catch::StartsWith("retry: 3000\n"));
  f.publish(1);
  const auto text = drain(sse);
  CHECK_THAT(text, Catch::StartsWith("id: ab12-8\nevent: reset\ndata: {\"reason\":"));
  CHECK_THAT(text, Catch::Contains("\n\nid: ab12-9\nevent: status\ndata: {\"id\":\"ab12-9\","));
  CHECK_THAT(text, Catch::EndsWith("}\n\n"));
  CHECK(drain(sse).empty());
  f.time.advance(15s);
  CHECK(drain(sse) == ": keepalive\n\n");
  f.publish(4);  // queue of 3: dropped
  std::string piece;
  CHECK_FALSE(sse.next(piece));
  CHECK_THAT(piece, Catch::StartsWith("event: dropped\ndata: "));
  CHECK_THAT(piece, Catch::Contains("\"last_id\":\"ab12-9\""));
}

TEST_CASE("status transitions become status events", "[hub][unit][stream]") {
  Fixture f;
  auto sub = f.subscribe();
  stream::StatusEvents sink(f.hub);
  policy::Transition t;
  t.service = "db";
  t.from = HealthStatus::Healthy;
  t.to = HealthStatus::Down;
  t.reason = "refused";
  t.at = f.time.now();
  sink.onTransitions({t});
  const auto b = sub->take();
  REQUIRE(b.events.size() == 1);
  const auto data = nlohmann::json::parse(b.events[0]->json)["data"];
  CHECK(data["from"] == "healthy");
  CHECK(data["to"] == "down");
  CHECK(data["reason"] == "refused");
}

TEST_CASE("a stream ticket opens one stream, once, within its lifetime", "[hub][unit][stream]") {
  ManualTime time;
  test::CountingRandom random;
  stream::MemoryTicketBackend backend;
  stream::TicketStore tickets(time, random, {30s, 2}, &backend);
  auto t = tickets.issue({"key:7", auth::Role::Operator});
  REQUIRE(t.ok());
  CHECK_THAT(t->token, Catch::StartsWith("vt_"));
  CHECK(t->token.size() == 46);
  auto holder = tickets.redeem(t->token);
  REQUIRE(holder.ok());
  CHECK(holder->actor == "key:7");
  CHECK(holder->role == auth::Role::Operator);
  auto again = tickets.redeem(t->token);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "stream.bad_ticket");
  CHECK_THAT(again.error().message, Catch::Contains("single-use"));

  auto late = tickets.issue({"key:7", auth::Role::Operator});
  REQUIRE(late.ok());
  time.advance(30s);
  CHECK_FALSE(tickets.redeem(late->token).ok());  // expired
  CHECK_FALSE(tickets.redeem("vt_nonsense").ok());
  CHECK(backend.size() == 0);

  REQUIRE(tickets.issue({"a", auth::Role::Readonly}).ok());
  REQUIRE(tickets.issue({"a", auth::Role::Readonly}).ok());
  auto full = tickets.issue({"a", auth::Role::Readonly});
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().code == "stream.busy");
  time.advance(31s);  // expired ones make room
  CHECK(tickets.issue({"a", auth::Role::Readonly}).ok());
}

TEST_CASE("the stream handler: key or ticket, clear errors for bad filters, ids and tickets",
          "[hub][unit][stream][api]") {
  Fixture f;
  test::CountingRandom random;
  stream::TicketStore tickets(f.time, random);
  api::StreamHandler handler(f.hub, tickets, f.time);
  api::ApiRequest req;
  req.method = "GET";

  auto r = handler.stream(req);  // anonymous, no ticket
  CHECK(r.status == 401);
  CHECK_THAT(r.body["error"]["message"].get<std::string>(), Catch::Contains("ticket"));

  req.role = "readonly";
  req.actor = "key:1";
  req.query = {{"kinds", "nope"}};
  r = handler.stream(req);
  CHECK(r.status == 400);
  CHECK(r.body["error"]["code"] == "bad_request");

  req.query = {};
  req.headers = {{"last-event-id", "garbage"}};
  r = handler.stream(req);
  CHECK(r.status == 400);
  CHECK_THAT(r.body["error"]["message"].get<std::string>(), Catch::Contains("Last-Event-ID"));

  req.headers = {};
  r = handler.stream(req);
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/event-stream");
  REQUIRE(r.stream);

  auto ticket_reply = handler.createTicket(req);
  REQUIRE(ticket_reply.status == 201);
  CHECK(ticket_reply.body["expires_in_s"] == 30);
  CHECK(ticket_reply.body["role"] == "readonly");
  api::ApiRequest browser;
  browser.query = {{"ticket", ticket_reply.body["ticket"].get<std::string>()}};
  CHECK(handler.stream(browser).status == 200);
  r = handler.stream(browser);  // reused
  CHECK(r.status == 401);
  CHECK_THAT(r.body["error"]["message"].get<std::string>(), Catch::Contains("already used"));
}
