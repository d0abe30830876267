// The alert policy's rules, without a database or a clock: each test walks an incident through
// changes and time and checks what would be sent.
#include <catch2/catch.hpp>

#include "hub/alerts/alert_policy.hpp"
#include "hub/api/incidents_handler.hpp"

using namespace vitals;
using namespace vitals::hub::alerts;
using vitals::hub::notify::AlertConfig;
using vitals::hub::policy::Cause;
using namespace std::chrono_literals;

namespace {

const SystemTime t0 = SystemTime{std::chrono::seconds{1'800'000'000}};

AlertConfig config(std::vector<std::string> channels = {"ops", "oncall"}) {
  AlertConfig c;
  c.service = "web";
  c.channels = std::move(channels);
  c.escalation_delay_seconds = 600;
  c.suppression_window_seconds = 3600;
  return c;
}

Change change(HealthStatus from, HealthStatus to, SystemTime at, Cause cause = Cause::Check) {
  Change c;
  c.id = 1;
  c.service = "web";
  c.from = from;
  c.to = to;
  c.at = at;
  c.reason = "http 503";
  c.agent = "node-1";
  c.check = "home";
  c.cause = cause;
  return c;
}

std::vector<std::string> channelsOf(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& o : p.notify) {
    out.push_back(o.channel);
  }
  return out;
}

// Applies a change to the open incident (if any) and returns the plan; `open` follows.
Plan step(std::optional<Incident>& open, const Change& c, const Circumstances& cx) {
  auto p = onChange(open, c, cx);
  if (p.incident) {
    open = p.incident->open ? p.incident : std::nullopt;
    if (open && open->id == 0) {
      open->id = 42;
    }
  }
  return p;
}

}  // namespace

TEST_CASE(
    "a service going down opens an incident notified to the first channel only, and its "
    "recovery goes to the same channel",
    "[hub][unit][alerts]") {
  const auto cfg = config();
  std::optional<Incident> open;
  auto down = step(open, change(HealthStatus::Healthy, HealthStatus::Down, t0), {cfg, {}, "", t0});
  REQUIRE(open.has_value());
  CHECK(channelsOf(down) == std::vector<std::string>{"ops"});
  CHECK(down.notify[0].label == "1:healthy->down");
  CHECK(down.notify[0].summary.find("web is down: http 503") != std::string::npos);
  CHECK(open->notified);

  auto up = step(open, change(HealthStatus::Down, HealthStatus::Healthy, t0 + 60s),
                 {cfg, {}, "", t0 + 60s});
  CHECK_FALSE(open.has_value());
  REQUIRE(up.incident.has_value());
  CHECK_FALSE(up.incident->open);
  CHECK(up.incident->resolved_at == t0 + 60s);
  CHECK(channelsOf(up) == std::vector<std::string>{"ops"});
  CHECK(up.notify[0].label == "recovered");
}

TEST_CASE(
    "every status change of an open incident is notified once and nothing repeats "
    "without a change",
    "[hub][unit][alerts]") {
  const auto cfg = config();
  std::optional<Incident> open;
  step(open, change(HealthStatus::Healthy, HealthStatus::Degraded, t0), {cfg, {}, "", t0});
  auto worse = step(open, change(HealthStatus::Degraded, HealthStatus::Down, t0 + 10s),
                    {cfg, {}, "", t0 + 10s});
  REQUIRE(worse.notify.size() == 1);
  CHECK(worse.notify[0].label == "2:degraded->down");
  CHECK(open->worst == HealthStatus::Down);
  // Time passes inside the suppression window: no reminder, no escalation yet.
  auto quiet = onTick(*open, {cfg, {}, "", t0 + 5min}, false);
  CHECK(quiet.notify.empty());
  CHECK_FALSE(quiet.incident.has_value());
}

TEST_CASE(
    "an unacknowledged incident escalates to the next channel after escalation_delay and "
    "an acknowledged one does not",
    "[hub][unit][alerts]") {
  const auto cfg = config();
  std::optional<Incident> open;
  step(open, change(HealthStatus::Healthy, HealthStatus::Down, t0), {cfg, {}, "", t0});
  CHECK(onTick(*open, {cfg, {}, "", t0 + 599s}, false).notify.empty());

  auto esc = onTick(*open, {cfg, {}, "", t0 + 600s}, false);
  CHECK(channelsOf(esc) == std::vector<std::string>{"oncall"});
  CHECK(esc.notify[0].label == "escalation-1");
  REQUIRE(esc.incident.has_value());
  CHECK(esc.incident->level == 1);
  // No further channel: no more escalation, and the recovery reaches both.
  Incident escalated = *esc.incident;
  CHECK(onTick(escalated, {cfg, {}, "", t0 + 1300s}, false).notify.empty());
  std::optional<Incident> o2 = escalated;
  auto rec = step(o2, change(HealthStatus::Down, HealthStatus::Healthy, t0 + 1400s),
                  {cfg, {}, "", t0 + 1400s});
  CHECK(channelsOf(rec) == (std::vector<std::string>{"ops", "oncall"}));

  auto acked = onAck(*open, "key:1", t0 + 60s);
  REQUIRE(acked.incident.has_value());
  CHECK(acked.incident->acked_by == "key:1");
  CHECK(onTick(*acked.incident, {cfg, {}, "", t0 + 2h}, false).notify.empty());
  // Acknowledging twice changes nothing.
  CHECK_FALSE(onAck(*acked.incident, "key:2", t0 + 70s).incident.has_value());
}

TEST_CASE("a reminder goes out once the suppression window has passed since the last notice",
          "[hub][unit][alerts]") {
  auto cfg = config({"ops"});
  cfg.escalation_delay_seconds = 0;
  std::optional<Incident> open;
  step(open, change(HealthStatus::Healthy, HealthStatus::Down, t0), {cfg, {}, "", t0});
  CHECK(onTick(*open, {cfg, {}, "", t0 + 3599s}, false).notify.empty());
  auto r1 = onTick(*open, {cfg, {}, "", t0 + 3600s}, false);
  REQUIRE(r1.notify.size() == 1);
  CHECK(r1.notify[0].label == "reminder-1");
  REQUIRE(r1.incident.has_value());
  CHECK(onTick(*r1.incident, {cfg, {}, "", t0 + 3600s + 3599s}, false).notify.empty());
  auto r2 = onTick(*r1.incident, {cfg, {}, "", t0 + 7200s}, false);
  REQUIRE(r2.notify.size() == 1);
  CHECK(r2.notify[0].label == "reminder-2");
}

TEST_CASE(
    "a silenced change is recorded but not sent, and is sent when the silence has ended "
    "while the problem lasts",
    "[hub][unit][alerts]") {
  const auto cfg = config();
  std::optional<Incident> open;
  auto silenced = step(open, change(HealthStatus::Healthy, HealthStatus::Down, t0),
                       {cfg, std::int64_t{7}, "", t0});
  REQUIRE(open.has_value());
  CHECK(silenced.notify.empty());
  CHECK(open->silenced_by == 7);
  CHECK_FALSE(open->notified);
  CHECK(onTick(*open, {cfg, std::int64_t{7}, "", t0 + 10min}, false).notify.empty());
  auto released = onTick(*open, {cfg, {}, "", t0 + 20min}, false);
  CHECK(channelsOf(released) == std::vector<std::string>{"ops"});
  // A silenced incident that recovers before the silence ends sends no recovery notice.
  std::optional<Incident> quiet;
  step(quiet, change(HealthStatus::Healthy, HealthStatus::Down, t0),
       {cfg, std::int64_t{7}, "", t0});
  auto rec = step(quiet, change(HealthStatus::Down, HealthStatus::Healthy, t0 + 1min),
                  {cfg, std::int64_t{7}, "", t0 + 1min});
  CHECK(rec.notify.empty());
  CHECK_FALSE(quiet.has_value());
}

TEST_CASE(
    "a dependant of a down service is inhibited with the root cause named, and notified "
    "if it is still failing once the dependency is back",
    "[hub][unit][alerts]") {
  const auto cfg = config();
  std::optional<Incident> open;
  auto inhibited =
      step(open, change(HealthStatus::Healthy, HealthStatus::Down, t0), {cfg, {}, "postgres", t0});
  CHECK(inhibited.notify.empty());
  REQUIRE(open.has_value());
  CHECK(open->root_cause == "postgres");
  bool named = false;
  for (const auto& e : inhibited.events) {
    named = named || (e.event == "inhibited" && e.detail.find("postgres") != std::string::npos);
  }
  CHECK(named);
  CHECK(onTick(*open, {cfg, {}, "postgres", t0 + 1min}, false).notify.empty());
  auto released = onTick(*open, {cfg, {}, "", t0 + 2min}, false);
  CHECK(channelsOf(released) == std::vector<std::string>{"ops"});
}

TEST_CASE("a notified incident's recovery notice is sent even while a dependency is down",
          "[hub][unit][alerts]") {
  const auto cfg = config();
  std::optional<Incident> open;
  step(open, change(HealthStatus::Healthy, HealthStatus::Down, t0), {cfg, {}, "", t0});
  auto rec = step(open, change(HealthStatus::Down, HealthStatus::Healthy, t0 + 1min),
                  {cfg, {}, "postgres", t0 + 1min});
  CHECK(channelsOf(rec) == std::vector<std::string>{"ops"});
}

TEST_CASE(
    "a flapping check sends flapping started once, not each transition, and flapping "
    "stopped when it settles",
    "[hub][unit][alerts]") {
  const auto cfg = config({"ops"});
  std::optional<Incident> open;
  auto c1 = change(HealthStatus::Healthy, HealthStatus::Down, t0);
  c1.flapping = true;
  auto started = step(open, c1, {cfg, {}, "", t0});
  REQUIRE(started.notify.size() == 1);
  CHECK(started.notify[0].label.rfind("flapping-started", 0) == 0);
  auto c2 = change(HealthStatus::Down, HealthStatus::Degraded, t0 + 10s);
  c2.flapping = true;
  CHECK(step(open, c2, {cfg, {}, "", t0 + 10s}).notify.empty());
  auto c3 = change(HealthStatus::Degraded, HealthStatus::Down, t0 + 20s);
  c3.flapping = true;
  CHECK(step(open, c3, {cfg, {}, "", t0 + 20s}).notify.empty());
  CHECK(onTick(*open, {cfg, {}, "", t0 + 30s}, true).notify.empty());
  auto stopped = onTick(*open, {cfg, {}, "", t0 + 40s}, false);
  REQUIRE(stopped.notify.size() == 1);
  CHECK(stopped.notify[0].label.rfind("flapping-stopped", 0) == 0);
  CHECK(stopped.notify[0].summary.find("stopped flapping, now down") != std::string::npos);
}

TEST_CASE("min_severity down holds a degraded service back until it is down",
          "[hub][unit][alerts]") {
  auto cfg = config({"ops"});
  cfg.min_severity = "down";
  std::optional<Incident> open;
  CHECK(step(open, change(HealthStatus::Healthy, HealthStatus::Degraded, t0), {cfg, {}, "", t0})
            .notify.empty());
  auto down = step(open, change(HealthStatus::Degraded, HealthStatus::Down, t0 + 1s),
                   {cfg, {}, "", t0 + 1s});
  CHECK(channelsOf(down) == std::vector<std::string>{"ops"});
  CHECK(severeEnough(HealthStatus::Unknown, "unknown"));
  CHECK_FALSE(severeEnough(HealthStatus::Degraded, "unknown"));
  CHECK_FALSE(severeEnough(HealthStatus::Healthy, "degraded"));
}

TEST_CASE(
    "services turned unknown by an unreachable agent do not page one by one, the grouped "
    "agents event notifies once and stays resolved",
    "[hub][unit][alerts]") {
  const auto cfg = config({"ops"});
  std::optional<Incident> none;
  auto u =
      onChange(none, change(HealthStatus::Healthy, HealthStatus::Unknown, t0, Cause::Unreachable),
               {cfg, {}, "", t0});
  CHECK_FALSE(u.incident.has_value());
  CHECK(u.notify.empty());

  auto g = change(HealthStatus::Healthy, HealthStatus::Unknown, t0, Cause::AgentsGroup);
  g.service = "_agents";
  g.reason = "3 agents unreachable: a, b, c";
  auto group = onChange(none, g, {cfg, {}, "", t0});
  REQUIRE(group.incident.has_value());
  CHECK(group.incident->kind == IncidentKind::Agents);
  CHECK_FALSE(group.incident->open);
  REQUIRE(group.notify.size() == 1);
  CHECK(group.notify[0].summary == "3 agents unreachable: a, b, c");
}

TEST_CASE("alerts disabled for a service record the incident without notifying",
          "[hub][unit][alerts]") {
  auto cfg = config({"ops"});
  cfg.enabled = false;
  std::optional<Incident> open;
  CHECK(step(open, change(HealthStatus::Healthy, HealthStatus::Down, t0), {cfg, {}, "", t0})
            .notify.empty());
  CHECK(open.has_value());
}

TEST_CASE("silence matchers are globs over service, agent and check within the time window",
          "[hub][unit][alerts]") {
  Silence s;
  s.service = "web-*";
  s.agent = "*";
  s.check = "home";
  s.starts_at = t0;
  s.ends_at = t0 + 1h;
  CHECK(covers(s, "web-eu", "n1", "home", t0));
  CHECK(covers(s, "web-eu", "n1", "home", t0 + 59min));
  CHECK_FALSE(covers(s, "web-eu", "n1", "home", t0 + 1h));
  CHECK_FALSE(covers(s, "web-eu", "n1", "home", t0 - 1s));
  CHECK_FALSE(covers(s, "api", "n1", "home", t0));
  CHECK_FALSE(covers(s, "web-eu", "n1", "login", t0));
}

TEST_CASE("a silence body is validated field by field", "[hub][unit][alerts]") {
  using nlohmann::json;
  auto ok = hub::api::parseSilence(
      json{{"service", "web"}, {"duration", "2h"}, {"comment", "deploy"}, {"maintenance", true}},
      t0);
  REQUIRE(ok.ok());
  CHECK(ok->starts_at == t0);
  CHECK(ok->ends_at == t0 + 2h);
  CHECK(ok->maintenance);
  auto msg = [](const json& body) {
    auto r = hub::api::parseSilence(body, t0);
    return r.ok() ? std::string("ok") : r.error().message;
  };
  CHECK(msg(json{{"service", "web"}, {"duration", "2h"}, {"comment", "x"}, {"colour", "red"}}) ==
        "colour: unknown field");
  CHECK(msg(json{{"duration", "2h"}, {"comment", "x"}}).rfind("service:", 0) == 0);
  CHECK(msg(json{{"service", "web"}, {"comment", "x"}}).rfind("ends_at: required", 0) == 0);
  CHECK(msg(json{{"service", "web"}, {"duration", "2h"}}).rfind("comment:", 0) == 0);
  CHECK(msg(json{{"service", 5}, {"duration", "2h"}, {"comment", "x"}}) ==
        "service: must be a string");
  CHECK(msg(json{{"service", "web"}, {"ends_at", "2020-01-01T00:00:00Z"}, {"comment", "x"}}) ==
        "ends_at: must be in the future");
  CHECK(msg(json{{"service", "web"},
                 {"duration", "2h"},
                 {"ends_at", "2090-01-01T00:00:00Z"},
                 {"comment", "x"}})
            .rfind("ends_at, duration", 0) == 0);
}

TEST_CASE(
    "a service's first record opens nothing while it has no result yet and opens an "
    "incident when it starts out down",
    "[hub][unit][alerts]") {
  const auto cfg = config({"ops"});
  std::optional<Incident> open;
  CHECK_FALSE(
      step(open, change(HealthStatus::Unknown, HealthStatus::Unknown, t0), {cfg, {}, "", t0})
          .incident.has_value());
  CHECK_FALSE(
      step(open, change(HealthStatus::Healthy, HealthStatus::Healthy, t0), {cfg, {}, "", t0})
          .incident.has_value());
  auto down = step(open, change(HealthStatus::Down, HealthStatus::Down, t0), {cfg, {}, "", t0});
  CHECK(channelsOf(down) == std::vector<std::string>{"ops"});
}
