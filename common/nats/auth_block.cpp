#include "common/nats/auth_block.hpp"

#include "common/nats/subjects.hpp"

namespace vitals::nats_auth {
namespace {

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? "" : ", ") + quoted(items[i]);
  }
  return out + "]";
}

// Comments end at the line's end; keep them on one line.
std::string oneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return text;
}

}  // namespace

std::vector<std::string> agentPublishAllow(const std::string& agent) {
  return {"vitals.agent." + agent + ".>"};
}

std::vector<std::string> agentSubscribeAllow(const std::string& agent) {
  return {subjects::commandWildcard(agent), "_INBOX_" + agent + ".>"};
}

std::vector<std::string> hubPublishAllow(const std::string& hub_id, const std::string& stream) {
  return {"$JS.API.>",
          "$JS.ACK." + stream + ".>",
          "vitals.cmd.>",
          "hub." + hub_id + ".>",
          "hub.global.health",
          "vitals.events.>",
          subjects::replicaState(hub_id)};
}

std::vector<std::string> hubSubscribeAllow(const std::string& hub_id) {
  return {"_INBOX_" + hub_id + ".>", "hub.>", "vitals.events.>", subjects::replicaState(hub_id)};
}

void writeUserEntry(std::ostream& o, const UserEntry& e) {
  o << "    # " << oneLine(e.comment) << "\n";
  o << "    {\n";
  if (!e.nkey_public.empty()) {
    o << "      nkey: " << quoted(e.nkey_public) << "  # " << oneLine(e.user) << "\n";
  } else {
    o << "      user: " << quoted(e.user) << "\n";
    o << "      password: " << quoted(e.password_hash) << "\n";
  }
  o << "      permissions: {\n";
  o << "        publish: { allow: " << list(e.publish_allow) << ", deny: [\"$SYS.>\"] }\n";
  o << "        subscribe: { allow: " << list(e.subscribe_allow) << ", deny: [\"$SYS.>\"] }\n";
  if (e.allow_responses) {
    // Lets the agent answer a command on the hub's reply subject (one reply, within 10 min).
    o << "        allow_responses: { max: 1, expires: \"10m\" }\n";
  }
  o << "      }\n";
  o << "    }\n";
}

UserEntry agentNkeyEntry(const std::string& agent, const std::string& nkey_public,
                         const std::string& comment) {
  UserEntry e;
  e.comment = comment;
  e.user = agent;
  e.nkey_public = nkey_public;
  e.publish_allow = agentPublishAllow(agent);
  e.subscribe_allow = agentSubscribeAllow(agent);
  e.allow_responses = true;
  return e;
}

}  // namespace vitals::nats_auth
