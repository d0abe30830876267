#pragma once
// Every NATS subject vitals uses is built here, from sanitised tokens. See docs/protocol.md.
#include <string>
#include <string_view>

namespace vitals::subjects {

// A subject token may not contain '.', '*', '>' or whitespace. Anything outside
// [A-Za-z0-9_-] becomes '_'; an empty id becomes "_". Ids are also validated at config load,
// so in practice this only guards against ids from the wire.
std::string sanitizeToken(std::string_view id);
// True if id is already a valid token (what config validation accepts).
bool isValidToken(std::string_view id);

inline constexpr std::string_view kStreamName = "VITALS";
inline constexpr std::string_view kAgentWildcard = "vitals.agent.>";

std::string agentResults(std::string_view agent);     // vitals.agent.<a>.results
std::string agentRegister(std::string_view agent);    // vitals.agent.<a>.register
std::string agentDeregister(std::string_view agent);  // vitals.agent.<a>.deregister
std::string agentHeartbeat(std::string_view agent);   // vitals.agent.<a>.heartbeat
std::string command(std::string_view agent, std::string_view verb);  // vitals.cmd.<a>.<verb>
std::string commandWildcard(std::string_view agent);                  // vitals.cmd.<a>.>
std::string hubServiceHealth(std::string_view hub, std::string_view service);
std::string hubSummary(std::string_view hub);          // hub.<h>.health.summary
inline constexpr std::string_view kGlobalHealth = "hub.global.health";
std::string hubServiceRegistered(std::string_view hub);
std::string hubServiceDeregistered(std::string_view hub);
std::string hubReady(std::string_view hub);            // hub.<h>.ready
// Replicas of one site share their state here (core NATS; stays inside the site).
std::string replicaState(std::string_view group);  // vitals.hub.<g>.state
// Inbound events from other tools (JSON, see docs/protocol.md).
std::string events(std::string_view source);           // vitals.events.<source>
inline constexpr std::string_view kEventsWildcard = "vitals.events.>";

// Parsed form of an agent subject: vitals.agent.<agent>.<kind>.
struct AgentSubject {
  std::string agent;
  std::string kind;  // "results", "register", "deregister", "heartbeat"
};
bool parseAgentSubject(std::string_view subject, AgentSubject& out);

}  // namespace vitals::subjects
