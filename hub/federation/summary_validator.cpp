#include "hub/federation/summary_validator.hpp"

#include "common/nats/subjects.hpp"
#include "hub/federation/summary_codec.hpp"

namespace vitals::hub::federation {
namespace {

Error drop(const char* reason, std::string message) {
  return Error{reason, std::move(message), {}};
}

}  // namespace

std::string summarySubjectHub(std::string_view subject) {
  constexpr std::string_view kPrefix = "hub.";
  constexpr std::string_view kSuffix = ".health.summary";
  if (subject.size() <= kPrefix.size() + kSuffix.size() ||
      subject.substr(0, kPrefix.size()) != kPrefix ||
      subject.substr(subject.size() - kSuffix.size()) != kSuffix) {
    return "";
  }
  const auto token =
      subject.substr(kPrefix.size(), subject.size() - kPrefix.size() - kSuffix.size());
  if (!subjects::isValidToken(token)) {
    return "";
  }
  return std::string(token);
}

Result<HubSummary> validateSummary(std::string_view subject, std::string_view data,
                                   const std::string& own_id, SystemTime now,
                                   const FederationSettings& limits) {
  if (static_cast<std::int64_t>(data.size()) > limits.max_summary_bytes) {
    return drop("oversized", std::to_string(data.size()) + " bytes");
  }
  const std::string token = summarySubjectHub(subject);
  if (token.empty()) {
    return drop("subject", "not hub.<id>.health.summary: " + std::string(subject));
  }
  auto decoded = decodeSummary(data);
  if (!decoded.ok()) {
    return drop("decode", decoded.error().message);
  }
  HubSummary& s = decoded.value();
  // summary_interval is the highest field, written last: without it the message was cut.
  if (!subjects::isValidToken(s.hub_id) || s.sequence == 0 || s.timestamp == SystemTime{} ||
      s.summary_interval.count() <= 0) {
    return drop("incomplete", "hub_id, timestamp, sequence and summary_interval are required");
  }
  if (s.full && s.service_count != s.services.size()) {
    return drop("incomplete", "full summary lists " + std::to_string(s.services.size()) +
                                  " services but counts " + std::to_string(s.service_count));
  }
  if (s.hub_id != token) {
    return drop("wrong_id", "hub_id \"" + s.hub_id + "\" on the subject of \"" + token + "\"");
  }
  if (s.hub_id == own_id) {
    return drop("own_id", "a summary claiming to be this hub");
  }
  if (s.timestamp > now + limits.max_future) {
    return drop("future", "timestamp ahead of our clock");
  }
  if (s.timestamp < now - limits.max_age) {
    return drop("too_old", "timestamp too far in the past");
  }
  return decoded;
}

}  // namespace vitals::hub::federation
