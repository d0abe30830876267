#include "common/nats/subjects.hpp"

namespace vitals::subjects {
namespace {
bool tokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}
std::string join(std::string_view a, std::string_view b, std::string_view c) {
  std::string out;
  out.reserve(a.size() + b.size() + c.size() + 2);
  out.append(a).append(".").append(sanitizeToken(b)).append(".").append(c);
  return out;
}
}  // namespace

std::string sanitizeToken(std::string_view id) {
  if (id.empty()) {
    return "_";
  }
  std::string out(id);
  for (char& c : out) {
    if (!tokenChar(c)) {
      c = '_';
    }
  }
  return out;
}

bool isValidToken(std::string_view id) {
  if (id.empty() || id.size() > 128) {
    return false;
  }
  for (char c : id) {
    if (!tokenChar(c)) {
      return false;
    }
  }
  return true;
}

std::string agentResults(std::string_view a) { return join("vitals.agent", a, "results"); }
std::string agentRegister(std::string_view a) { return join("vitals.agent", a, "register"); }
std::string agentDeregister(std::string_view a) { return join("vitals.agent", a, "deregister"); }
std::string agentHeartbeat(std::string_view a) { return join("vitals.agent", a, "heartbeat"); }
std::string command(std::string_view a, std::string_view verb) {
  return join("vitals.cmd", a, sanitizeToken(verb));
}
std::string commandWildcard(std::string_view a) { return join("vitals.cmd", a, ">"); }
std::string hubServiceHealth(std::string_view hub, std::string_view service) {
  return join("hub", hub, "health." + sanitizeToken(service));
}
std::string hubSummary(std::string_view hub) { return join("hub", hub, "health.summary"); }
std::string hubServiceRegistered(std::string_view hub) {
  return join("hub", hub, "service.registered");
}
std::string hubServiceDeregistered(std::string_view hub) {
  return join("hub", hub, "service.deregistered");
}
std::string replicaState(std::string_view group) {
  return "vitals.hub." + sanitizeToken(group) + ".state";
}

std::string hubReady(std::string_view hub) { return join("hub", hub, "ready"); }
std::string events(std::string_view source) {
  return "vitals.events." + sanitizeToken(source);
}

bool parseAgentSubject(std::string_view subject, AgentSubject& out) {
  constexpr std::string_view kPrefix = "vitals.agent.";
  if (subject.substr(0, kPrefix.size()) != kPrefix) {
    return false;
  }
  const auto rest = subject.substr(kPrefix.size());
  const auto dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0) {
    return false;
  }
  const auto kind = rest.substr(dot + 1);
  if (kind.empty() || kind.find('.') != std::string_view::npos) {
    return false;
  }
  out.agent = std::string(rest.substr(0, dot));
  out.kind = std::string(kind);
  return true;
}

}  // namespace vitals::subjects
