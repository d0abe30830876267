#include <catch2/catch.hpp>

#include "common/nats/subjects.hpp"

using namespace vitals;

TEST_CASE("subjects are built from sanitised tokens", "[common][unit]") {
  CHECK(subjects::agentResults("web-01") == "vitals.agent.web-01.results");
  CHECK(subjects::agentResults("evil.>*") == "vitals.agent.evil___.results");
  CHECK(subjects::agentHeartbeat("") == "vitals.agent._.heartbeat");
  CHECK(subjects::command("a1", "run-action") == "vitals.cmd.a1.run-action");
  CHECK(subjects::hubServiceHealth("hub-main", "shop db") == "hub.hub-main.health.shop_db");
  CHECK(subjects::hubSummary("hub-main") == "hub.hub-main.health.summary");
  CHECK(subjects::hubServiceRegistered("h") == "hub.h.service.registered");
}

TEST_CASE("token validation accepts ids and refuses wildcards, dots and spaces", "[common][unit]") {
  auto [id, ok] = GENERATE(table<std::string, bool>({{"web-01", true},
                                                     {"A_b-9", true},
                                                     {"", false},
                                                     {"a.b", false},
                                                     {"a*", false},
                                                     {">", false},
                                                     {"a b", false},
                                                     {std::string(129, 'a'), false}}));
  CHECK(subjects::isValidToken(id) == ok);
}

TEST_CASE("agent subjects parse into agent and kind", "[common][unit]") {
  subjects::AgentSubject s;
  REQUIRE(subjects::parseAgentSubject("vitals.agent.web-01.results", s));
  CHECK(s.agent == "web-01");
  CHECK(s.kind == "results");
  CHECK_FALSE(subjects::parseAgentSubject("vitals.agent.web-01", s));
  CHECK_FALSE(subjects::parseAgentSubject("vitals.agent.a.b.c", s));
  CHECK_FALSE(subjects::parseAgentSubject("vitals.cmd.a.results", s));
}
