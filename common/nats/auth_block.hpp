#pragma once
// nats-server `authorization` users and the permissions of each kind of identity: the one
// definition used by `vitalsctl nats-config` (static identities) and the hub's enrollment (the
// users file it rewrites for enrolled agents). docs/security.md has the table.
#include <ostream>
#include <string>
#include <vector>

namespace vitals::nats_auth {

// An agent may publish only its own subjects (JetStream publishes are plain publishes to the
// stream subject with a reply inbox: no $JS.API access is needed).
std::vector<std::string> agentPublishAllow(const std::string& agent);
// Its commands and its own reply inbox (_INBOX_<agent>.>).
std::vector<std::string> agentSubscribeAllow(const std::string& agent);

// The hub: JetStream (the API, acks on `stream`), commands to agents, its own hub.<hub_id>.>
// subjects and hub.global.health, inbound events and its replica group's state sync.
std::vector<std::string> hubPublishAllow(const std::string& hub_id, const std::string& stream);
std::vector<std::string> hubSubscribeAllow(const std::string& hub_id);

struct UserEntry {
  std::string comment;        // one line, written as "# <comment>"
  std::string user;           // the name (password users; a comment after an nkey)
  std::string password_hash;  // bcrypt; used when nkey_public is empty
  std::string nkey_public;    // "U..."
  std::vector<std::string> publish_allow;
  std::vector<std::string> subscribe_allow;
  bool allow_responses = false;  // one reply to a request it received, within 10 min
};

// Writes one `{ ... }` element of an authorization users list ($SYS.> denied both ways).
void writeUserEntry(std::ostream& out, const UserEntry& entry);

// The entry of an agent identified by an NKEY, with exactly an agent's permissions.
UserEntry agentNkeyEntry(const std::string& agent, const std::string& nkey_public,
                         const std::string& comment);

}  // namespace vitals::nats_auth
