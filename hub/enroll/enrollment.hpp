#pragma once
// Agent enrollment: one-time tokens, per-agent NATS identities (NKEY public keys the nodes make
// themselves) and their revocation. docs/security.md ("Enrollment") has the mechanism.
//
//   admin:  createToken(ttl, labels)        -> "ve_..." (shown once; only its SHA-256 is kept)
//   node:   enroll(token, agent id, nkey)   -> the token is spent, the agent recorded, and the
//                                              nats-server users file rewritten and reloaded
//   admin:  revoke(agent id)                -> the identity leaves the users file; nats-server
//                                              closes its connection at the reload
//
// The decisions (token well-formed, known, unused, unexpired; agent id and key valid) are pure
// functions here; the store applies them in one transaction (PgEnrollmentStore) or in memory
// (the unit tests' fake), so both spend a token exactly once.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"
#include "hub/auth/api_key.hpp"

namespace vitals::hub::enroll {

inline constexpr std::string_view kTokenScheme = "ve_";
inline constexpr std::size_t kTokenLength = 3 + 43;  // "ve_" + base64url(32 bytes)
inline constexpr std::size_t kTokenPrefixLength = 3 + 8;

// A fresh token: "ve_" + base64url(32 random bytes).
Result<std::string> generateToken(auth::SecureRandom& random);
// Scheme, length and alphabet only; says nothing of validity.
bool looksLikeToken(std::string_view text);

struct TokenRecord {
  std::int64_t id = 0;
  std::string prefix;                         // "ve_" + 8 characters, not secret
  std::string hash;                           // hex SHA-256 of the token
  std::map<std::string, std::string> labels;  // given to the agent that uses it
  std::string creator;                        // "key:<id>"
  SystemTime created_at{};
  SystemTime expires_at{};
  std::optional<SystemTime> used_at;
  std::string used_by;  // the agent id that spent it
};

struct EnrolledAgent {
  std::string agent_id;
  std::string nkey;  // "U..." public key
  std::string hostname;
  std::map<std::string, std::string> labels;
  std::int64_t token_id = 0;
  SystemTime enrolled_at{};
  std::optional<SystemTime> revoked_at;
  std::string revoked_by;
};

// Errors (Error::code), each with its HTTP status in the handler:
//   enroll.malformed     400  the request is not what enrollment takes (token shape, id, key)
//   enroll.token_invalid 401  no such token (forged, or a typo)
//   enroll.token_used    401  spent already (single use)
//   enroll.token_expired 401  past its expiry
//   enroll.agent_exists  409  the agent id is enrolled or already reports to this hub
//   enroll.nkey_exists   409  the public key belongs to another agent
//   enroll.no_such_agent 404  (revoke) no enrolled agent with that id
// Is this token usable now? The codes above for a token that is not.
Status judgeToken(const std::optional<TokenRecord>& token, SystemTime now);

struct NewToken {
  std::string prefix;
  std::string hash;
  std::map<std::string, std::string> labels;
  std::string creator;
  SystemTime expires_at{};
};

struct EnrollRequest {
  std::string token_hash;
  std::string agent_id;
  std::string nkey;
  std::string hostname;
};

// Where tokens and enrolled agents live. Every method is one transaction; enroll() and revoke()
// write their audit row (agent.enroll / agent.revoke) in it.
class EnrollmentStore {
 public:
  virtual ~EnrollmentStore() = default;
  virtual Result<TokenRecord> insertToken(const NewToken& token, SystemTime now) = 0;
  // Newest first.
  virtual Result<std::vector<TokenRecord>> listTokens() = 0;
  // Finds the token by hash (locked), judges it with judgeToken at `now`, refuses an agent id
  // that is enrolled or known in `agents` and a key that is taken (the token stays unspent
  // then), and otherwise spends the token and records the agent.
  virtual Result<EnrolledAgent> enroll(const EnrollRequest& request, SystemTime now) = 0;
  // Marks the agent revoked (keeps the first revocation time) and the `agents` row too.
  virtual Result<EnrolledAgent> revoke(const std::string& agent_id, const std::string& actor,
                                       SystemTime now) = 0;
  // Every enrolled agent, revoked ones included, by id.
  virtual Result<std::vector<EnrolledAgent>> agents() = 0;
};

// Makes the bus accept exactly the given (unrevoked) identities: the nats-server users file and
// its reload (NatsUsersFile), or a fake in tests.
class IdentityPublisher {
 public:
  virtual ~IdentityPublisher() = default;
  virtual Status publish(const std::vector<EnrolledAgent>& active) = 0;
};

struct TokenLimits {
  std::chrono::seconds min_ttl{60};
  std::chrono::seconds max_ttl{7 * 24 * 3600};
};

struct CreatedToken {
  std::string token;  // shown once
  TokenRecord record;
};

struct EnrollOutcome {
  EnrolledAgent agent;
  Status bus;  // the publish after the commit (ok, or why the identity is not live yet)
};

// Labels given with a token: at most 32, keys [A-Za-z0-9_.-]{1,63}, values up to 256 printable
// characters. Empty when fine, else the problem.
std::string validateLabels(const std::map<std::string, std::string>& labels);

class Enrollment {
 public:
  Enrollment(EnrollmentStore& store, IdentityPublisher& publisher, auth::SecureRandom& random,
             const Clock& clock, TokenLimits limits = {})
      : store_(store), publisher_(publisher), random_(random), clock_(clock), limits_(limits) {}

  // "enroll.malformed" for a ttl out of range or bad labels.
  Result<CreatedToken> createToken(std::chrono::seconds ttl,
                                   const std::map<std::string, std::string>& labels,
                                   const std::string& creator);
  // Validates the shape of everything first (nothing reaches the store otherwise), then the
  // store decides; after a commit the bus identities are republished.
  Result<EnrollOutcome> enroll(const std::string& token, const std::string& agent_id,
                               const std::string& nkey, const std::string& hostname);
  Result<EnrollOutcome> revoke(const std::string& agent_id, const std::string& actor);
  // Republishes every unrevoked identity (at start, and after each change). Serialised.
  Status sync();

 private:
  EnrollmentStore& store_;
  IdentityPublisher& publisher_;
  auth::SecureRandom& random_;
  const Clock& clock_;
  TokenLimits limits_;
  std::mutex publish_mu_;
};

}  // namespace vitals::hub::enroll
