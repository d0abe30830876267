#include "hub/enroll/enrollment.hpp"

#include <array>

#include "common/nats/nkeys.hpp"
#include "common/nats/subjects.hpp"

namespace vitals::hub::enroll {
namespace {

bool isBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool validLabelKey(const std::string& key) {
  if (key.empty() || key.size() > 63) {
    return false;
  }
  for (char c : key) {
    if (!(isBase64UrlChar(c) || c == '.')) {
      return false;
    }
  }
  return true;
}

bool printable(const std::string& text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}

Error malformed(std::string message) { return Error{"enroll.malformed", std::move(message), {}}; }

}  // namespace

Result<std::string> generateToken(auth::SecureRandom& random) {
  std::array<std::uint8_t, 32> bytes{};
  if (auto s = random.fill(bytes.data(), bytes.size()); !s.ok()) {
    return s.error();
  }
  return std::string(kTokenScheme) + auth::base64Url(bytes.data(), bytes.size());
}

bool looksLikeToken(std::string_view text) {
  if (text.size() != kTokenLength || text.substr(0, kTokenScheme.size()) != kTokenScheme) {
    return false;
  }
  for (char c : text.substr(kTokenScheme.size())) {
    if (!isBase64UrlChar(c)) {
      return false;
    }
  }
  return true;
}

Status judgeToken(const std::optional<TokenRecord>& token, SystemTime now) {
  if (!token) {
    return Error{"enroll.token_invalid", "the enrollment token is not known to this hub", {}};
  }
  if (token->used_at) {
    return Error{"enroll.token_used",
                 "the enrollment token was used already (by agent \"" + token->used_by +
                     "\"); tokens are single-use: ask for a new one",
                 {}};
  }
  if (now >= token->expires_at) {
    return Error{"enroll.token_expired", "the enrollment token has expired: ask for a new one", {}};
  }
  return okStatus();
}

std::string validateLabels(const std::map<std::string, std::string>& labels) {
  if (labels.size() > 32) {
    return "at most 32 labels";
  }
  for (const auto& [k, v] : labels) {
    if (!validLabelKey(k)) {
      return "label key \"" + k + "\" must be 1-63 characters of A-Z a-z 0-9 _ - .";
    }
    if (v.size() > 256 || !printable(v)) {
      return "label \"" + k + "\": the value must be at most 256 characters, no control characters";
    }
  }
  return {};
}

Result<CreatedToken> Enrollment::createToken(std::chrono::seconds ttl,
                                             const std::map<std::string, std::string>& labels,
                                             const std::string& creator) {
  if (ttl < limits_.min_ttl || ttl > limits_.max_ttl) {
    return malformed("ttl: must be from " + std::to_string(limits_.min_ttl.count()) + " s to " +
                     std::to_string(limits_.max_ttl.count()) + " s, got " +
                     std::to_string(ttl.count()) + " s");
  }
  if (auto problem = validateLabels(labels); !problem.empty()) {
    return malformed("labels: " + problem);
  }
  auto token = generateToken(random_);
  if (!token.ok()) {
    return token.error();
  }
  NewToken t;
  t.prefix = token->substr(0, kTokenPrefixLength);
  t.hash = auth::hashKey(token.value());
  t.labels = labels;
  t.creator = creator;
  const auto now = clock_.now();
  t.expires_at = now + ttl;
  auto stored = store_.insertToken(t, now);
  if (!stored.ok()) {
    return stored.error();
  }
  return CreatedToken{token.value(), stored.value()};
}

Result<EnrollOutcome> Enrollment::enroll(const std::string& token, const std::string& agent_id,
                                         const std::string& nkey, const std::string& hostname) {
  if (!looksLikeToken(token)) {
    return malformed("token: not an enrollment token (\"ve_\" followed by 43 characters)");
  }
  if (!subjects::isValidToken(agent_id)) {
    return malformed("agent_id: must be 1-128 characters of A-Z a-z 0-9 _ -");
  }
  if (!nkeys::isValidPublicUser(nkey)) {
    return malformed(
        "nkey: not an NKEY user public key (\"U\" and 55 base32 characters with a "
        "valid checksum)");
  }
  if (hostname.size() > 255 || !printable(hostname)) {
    return malformed("hostname: at most 255 characters, no control characters");
  }
  auto enrolled = store_.enroll({auth::hashKey(token), agent_id, nkey, hostname}, clock_.now());
  if (!enrolled.ok()) {
    return enrolled.error();
  }
  return EnrollOutcome{enrolled.value(), sync()};
}

Result<EnrollOutcome> Enrollment::revoke(const std::string& agent_id, const std::string& actor) {
  if (!subjects::isValidToken(agent_id)) {
    return malformed("agent id: must be 1-128 characters of A-Z a-z 0-9 _ -");
  }
  auto revoked = store_.revoke(agent_id, actor, clock_.now());
  if (!revoked.ok()) {
    return revoked.error();
  }
  return EnrollOutcome{revoked.value(), sync()};
}

Status Enrollment::sync() {
  std::lock_guard lock(publish_mu_);
  auto all = store_.agents();
  if (!all.ok()) {
    return all.error();
  }
  std::vector<EnrolledAgent> active;
  for (auto& a : all.value()) {
    if (!a.revoked_at) {
      active.push_back(std::move(a));
    }
  }
  return publisher_.publish(active);
}

}  // namespace vitals::hub::enroll
