#include "common/model/codec.hpp"
#include "common/model/proto_time.hpp"
#include "common/model/status_proto.hpp"

#include <google/protobuf/arena.h>

#include <algorithm>

#include "vitals/v1/agent.pb.h"

namespace vitals::codec {
namespace {

namespace pb = vitals::v1;

// The HealthStatus overloads live in status_proto.hpp; keep them visible next to these.
using vitals::codec::fromProto;
using vitals::codec::toProto;

pb::FailureKind toProto(FailureKind k) {
  switch (k) {
    case FailureKind::None:
      return pb::FAILURE_KIND_NONE;
    case FailureKind::Timeout:
      return pb::FAILURE_KIND_TIMEOUT;
    case FailureKind::Refused:
      return pb::FAILURE_KIND_REFUSED;
    case FailureKind::Unexpected:
      return pb::FAILURE_KIND_UNEXPECTED;
    case FailureKind::Error:
      return pb::FAILURE_KIND_ERROR;
    case FailureKind::Crashed:
      return pb::FAILURE_KIND_CRASHED;
  }
  return pb::FAILURE_KIND_ERROR;
}

FailureKind fromProto(pb::FailureKind k) {
  switch (k) {
    case pb::FAILURE_KIND_TIMEOUT:
      return FailureKind::Timeout;
    case pb::FAILURE_KIND_REFUSED:
      return FailureKind::Refused;
    case pb::FAILURE_KIND_UNEXPECTED:
      return FailureKind::Unexpected;
    case pb::FAILURE_KIND_ERROR:
      return FailureKind::Error;
    case pb::FAILURE_KIND_CRASHED:
      return FailureKind::Crashed;
    default:
      return FailureKind::None;
  }
}

Error invalid(std::string message) { return Error{"codec.invalid", std::move(message), {}}; }

// Length of the well-formed UTF-8 sequence at s[i], or 0 (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF).
std::size_t utf8SequenceAt(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) {
    return 1;
  }
  std::size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    lo = c == 0xE0 ? 0xA0 : 0x80;
    hi = c == 0xED ? 0x9F : 0xBF;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    lo = c == 0xF0 ? 0x90 : 0x80;
    hi = c == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (i + n > s.size() || b(1) < lo || b(1) > hi) {
    return 0;
  }
  for (std::size_t k = 2; k < n; ++k) {
    if (b(k) < 0x80 || b(k) > 0xBF) {
      return 0;
    }
  }
  return n;
}

// proto3 `string` fields must hold UTF-8: the hub's parser refuses a message with anything else,
// and with it every result of the batch. Free text (probe messages, plugin output, details) is
// whatever a probed program printed, so each byte that is not part of a well-formed sequence
// becomes U+FFFD before encoding.
std::string utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = utf8SequenceAt(s, i);
    if (n == 0) {
      break;
    }
    i += n;
  }
  std::string out(s.substr(0, i));  // all of it in the common case: already valid
  while (i < s.size()) {
    const std::size_t n = utf8SequenceAt(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

bool validTimestamp(const pb::Timestamp& ts) {
  return ts.seconds() >= kTimestampMinSeconds && ts.seconds() <= kTimestampMaxSeconds &&
         ts.nanos() >= 0 && ts.nanos() < 1'000'000'000;
}

bool validDuration(const pb::Duration& d) {
  return d.seconds() >= 0 && d.seconds() <= 86400LL * 365 && d.nanos() >= 0 &&
         d.nanos() < 1'000'000'000;
}

void fillScan(const ScanReport& s, pb::ScanReport* out) {
  out->set_scanner(utf8(s.scanner));
  out->set_artifact(utf8(s.artifact));
  out->set_critical(s.count(Severity::Critical));
  out->set_high(s.count(Severity::High));
  out->set_medium(s.count(Severity::Medium));
  out->set_low(s.count(Severity::Low));
  out->set_unknown(s.count(Severity::Unknown));
  out->mutable_findings()->Reserve(static_cast<int>(s.findings.size()));
  for (const auto& f : s.findings) {
    auto* o = out->add_findings();
    o->set_target(utf8(f.target));
    o->set_vulnerability_id(utf8(f.vulnerability_id));
    o->set_package(utf8(f.package));
    o->set_installed_version(utf8(f.installed_version));
    o->set_fixed_version(utf8(f.fixed_version));
    o->set_severity(std::string(toString(f.severity)));
    o->set_title(utf8(f.title));
  }
  out->set_truncated(s.truncated);
}

// A report from the wire. Findings beyond ScanReport::kMaxFindings are dropped (truncated) and
// an unrecognised severity reads as unknown: a scan is still stored when its sender is newer.
std::shared_ptr<const ScanReport> readScan(const pb::ScanReport& in) {
  auto s = std::make_shared<ScanReport>();
  s->scanner = in.scanner();
  s->artifact = in.artifact();
  s->counts[static_cast<std::size_t>(Severity::Critical)] = in.critical();
  s->counts[static_cast<std::size_t>(Severity::High)] = in.high();
  s->counts[static_cast<std::size_t>(Severity::Medium)] = in.medium();
  s->counts[static_cast<std::size_t>(Severity::Low)] = in.low();
  s->counts[static_cast<std::size_t>(Severity::Unknown)] = in.unknown();
  s->truncated = in.truncated();
  const int n = std::min<int>(in.findings_size(), static_cast<int>(ScanReport::kMaxFindings));
  if (n < in.findings_size()) {
    s->truncated = true;
  }
  s->findings.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto& f = in.findings(i);
    ScanFinding out;
    out.target = f.target();
    out.vulnerability_id = f.vulnerability_id();
    out.package = f.package();
    out.installed_version = f.installed_version();
    out.fixed_version = f.fixed_version();
    out.severity = parseSeverity(f.severity()).value_or(Severity::Unknown);
    out.title = f.title();
    s->findings.push_back(std::move(out));
  }
  return s;
}

void fillResult(const CheckResult& r, pb::CheckResult* out) {
  auto* id = out->mutable_id();
  id->set_agent_id(r.agent_id);
  id->set_boot_id(r.boot_id);
  id->set_seq(r.seq);
  out->set_service(utf8(r.service));
  out->set_check(utf8(r.check));
  out->set_kind(utf8(r.kind));
  out->set_status(toProto(r.status));
  out->set_raw_status(toProto(r.raw_status));
  setDuration(out->mutable_latency(), r.latency);
  out->set_message(utf8(r.message));
  for (const auto& [k, v] : r.details) {
    (*out->mutable_details())[utf8(k)] = utf8(v);
  }
  setTime(out->mutable_observed_at(), r.observed_at);
  out->set_failure_kind(toProto(r.failure_kind));
  out->set_attempt(r.attempt);
  out->set_consecutive_failures(r.consecutive_failures);
  out->set_flapping(r.flapping);
  if (r.scan) {
    fillScan(*r.scan, out->mutable_scan());
  }
}

// Fields of one result; the ids are checked by the caller.
Result<CheckResult> readResult(const pb::CheckResult& in, const std::string& where) {
  if (in.service().empty() || in.check().empty()) {
    return invalid(where + "service and check are required");
  }
  CheckResult r;
  r.agent_id = in.id().agent_id();
  r.boot_id = in.id().boot_id();
  r.seq = in.id().seq();
  r.service = in.service();
  r.check = in.check();
  r.kind = in.kind();
  if (!fromProto(in.status(), r.status) || !fromProto(in.raw_status(), r.raw_status)) {
    return invalid(where + "status is unspecified or unknown");
  }
  if (!validDuration(in.latency())) {
    return invalid(where + "latency out of range");
  }
  r.latency = getDuration<std::chrono::microseconds>(in.latency());
  r.message = in.message();
  r.details.insert(in.details().begin(), in.details().end());
  if (!in.has_observed_at() || !validTimestamp(in.observed_at())) {
    return invalid(where + "observed_at missing or out of range");
  }
  r.observed_at = getTime(in.observed_at());
  r.failure_kind = fromProto(in.failure_kind());
  r.attempt = in.attempt();
  r.consecutive_failures = in.consecutive_failures();
  r.flapping = in.flapping();
  if (in.has_scan()) {
    r.scan = readScan(in.scan());
  }
  return r;
}

}  // namespace

pb::Status toProto(HealthStatus s) {
  switch (s) {
    case HealthStatus::Healthy:
      return pb::STATUS_HEALTHY;
    case HealthStatus::Degraded:
      return pb::STATUS_DEGRADED;
    case HealthStatus::Down:
      return pb::STATUS_DOWN;
    case HealthStatus::Unknown:
      break;
  }
  return pb::STATUS_UNKNOWN;
}

bool fromProto(pb::Status s, HealthStatus& out) {
  switch (s) {
    case pb::STATUS_HEALTHY:
      out = HealthStatus::Healthy;
      return true;
    case pb::STATUS_DEGRADED:
      out = HealthStatus::Degraded;
      return true;
    case pb::STATUS_DOWN:
      out = HealthStatus::Down;
      return true;
    case pb::STATUS_UNKNOWN:
      out = HealthStatus::Unknown;
      return true;
    default:
      return false;
  }
}

std::string encodeBatch(const ResultBatch& batch) {
  // On an arena, as in decodeBatch: a few bump allocations instead of a malloc and a free per
  // string and map entry (the agent encodes every result it produces; bench/agent's profile).
  google::protobuf::Arena arena;
  auto& msg = *google::protobuf::Arena::CreateMessage<pb::ResultBatch>(&arena);
  msg.set_agent_id(batch.agent_id);
  msg.set_boot_id(batch.boot_id);
  for (const auto& r : batch.results) {
    fillResult(r, msg.add_results());
  }
  return msg.SerializeAsString();
}

Result<ResultBatch> decodeBatch(std::string_view bytes) {
  // An arena makes the parse a few bump allocations instead of one malloc per string and map
  // entry: the hub decodes every result it ingests.
  google::protobuf::Arena arena;
  auto& msg = *google::protobuf::Arena::CreateMessage<pb::ResultBatch>(&arena);
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid("not a ResultBatch protobuf");
  }
  if (msg.agent_id().empty() || msg.boot_id().empty()) {
    return invalid("batch without agent_id or boot_id");
  }
  ResultBatch batch;
  batch.agent_id = msg.agent_id();
  batch.boot_id = msg.boot_id();
  batch.results.reserve(static_cast<std::size_t>(msg.results_size()));
  for (int i = 0; i < msg.results_size(); ++i) {
    const auto& in = msg.results(i);
    const std::string where = "results[" + std::to_string(i) + "]";
    if (in.id().agent_id() != msg.agent_id() || in.id().boot_id() != msg.boot_id()) {
      return invalid(where + ": id does not match the batch's agent/boot");
    }
    if (in.id().seq() == 0) {
      return invalid(where + ": seq must be > 0");
    }
    auto r = readResult(in, where + ": ");
    if (!r) {
      return r.error();
    }
    batch.results.push_back(std::move(*r));
  }
  return batch;
}

std::string encodeRegistration(const Registration& reg) {
  pb::Registration msg;
  msg.set_agent_id(reg.agent_id);
  msg.set_boot_id(reg.boot_id);
  msg.set_hostname(utf8(reg.hostname));
  msg.set_version(reg.version);
  for (const auto& c : reg.checks) {
    auto* out = msg.add_checks();
    out->set_name(utf8(c.name));
    out->set_service(utf8(c.service));
    out->set_kind(utf8(c.kind));
    out->set_target(utf8(c.target));
    setDuration(out->mutable_interval(), c.interval);
    setDuration(out->mutable_timeout(), c.timeout);
    out->set_retries(c.retries);
    setDuration(out->mutable_degraded_latency(), c.degraded_latency);
  }
  for (const auto& a : reg.actions) {
    msg.add_actions(utf8(a));
  }
  for (const auto& a : reg.action_specs) {
    auto* out = msg.add_action_specs();
    out->set_name(utf8(a.name));
    for (const auto& p : a.params) {
      auto* param = out->add_params();
      param->set_name(utf8(p.name));
      param->set_pattern(utf8(p.pattern));
    }
    setDuration(out->mutable_timeout(), a.timeout);
    setDuration(out->mutable_cooldown(), a.cooldown);
    out->set_max_concurrent(a.max_concurrent);
  }
  setTime(msg.mutable_sent_at(), reg.sent_at);
  msg.set_config_hash(reg.config_hash);
  for (const auto& [k, v] : reg.labels) {
    (*msg.mutable_labels())[utf8(k)] = utf8(v);
  }
  return msg.SerializeAsString();
}

Result<Registration> decodeRegistration(std::string_view bytes) {
  pb::Registration msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid("not a Registration protobuf");
  }
  if (msg.agent_id().empty()) {
    return invalid("registration without agent_id");
  }
  if (!validTimestamp(msg.sent_at())) {
    return invalid("sent_at out of range");
  }
  Registration reg;
  reg.agent_id = msg.agent_id();
  reg.boot_id = msg.boot_id();
  reg.hostname = msg.hostname();
  reg.version = msg.version();
  for (int i = 0; i < msg.checks_size(); ++i) {
    const auto& in = msg.checks(i);
    if (in.name().empty() || in.service().empty()) {
      return invalid("checks[" + std::to_string(i) + "]: name and service are required");
    }
    if (!validDuration(in.interval()) || !validDuration(in.timeout()) ||
        !validDuration(in.degraded_latency())) {
      return invalid("checks[" + std::to_string(i) + "]: duration out of range");
    }
    CheckSpec c;
    c.name = in.name();
    c.service = in.service();
    c.kind = in.kind();
    c.target = in.target();
    c.interval = getDuration<std::chrono::milliseconds>(in.interval());
    c.timeout = getDuration<std::chrono::milliseconds>(in.timeout());
    c.retries = in.retries();
    c.degraded_latency = getDuration<std::chrono::milliseconds>(in.degraded_latency());
    reg.checks.push_back(std::move(c));
  }
  reg.actions.assign(msg.actions().begin(), msg.actions().end());
  for (int i = 0; i < msg.action_specs_size(); ++i) {
    const auto& in = msg.action_specs(i);
    if (in.name().empty()) {
      return invalid("action_specs[" + std::to_string(i) + "]: name is required");
    }
    if (!validDuration(in.timeout()) || !validDuration(in.cooldown())) {
      return invalid("action_specs[" + std::to_string(i) + "]: duration out of range");
    }
    ActionSpec a;
    a.name = in.name();
    for (const auto& p : in.params()) {
      a.params.push_back({p.name(), p.pattern()});
    }
    a.timeout = getDuration<std::chrono::milliseconds>(in.timeout());
    a.cooldown = getDuration<std::chrono::milliseconds>(in.cooldown());
    a.max_concurrent = in.max_concurrent();
    reg.action_specs.push_back(std::move(a));
  }
  reg.sent_at = getTime(msg.sent_at());
  reg.config_hash = msg.config_hash();
  reg.labels.insert(msg.labels().begin(), msg.labels().end());
  return reg;
}

std::string encodeHeartbeat(const Heartbeat& hb) {
  pb::Heartbeat msg;
  msg.set_agent_id(hb.agent_id);
  msg.set_boot_id(hb.boot_id);
  msg.set_version(hb.version);
  msg.set_check_count(hb.check_count);
  setTime(msg.mutable_sent_at(), hb.sent_at);
  setDuration(msg.mutable_interval(), hb.interval);
  msg.set_last_seq(hb.last_seq);
  msg.set_spooled(hb.spooled);
  return msg.SerializeAsString();
}

Result<Heartbeat> decodeHeartbeat(std::string_view bytes) {
  pb::Heartbeat msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid("not a Heartbeat protobuf");
  }
  if (msg.agent_id().empty()) {
    return invalid("heartbeat without agent_id");
  }
  if (!validTimestamp(msg.sent_at()) || !validDuration(msg.interval())) {
    return invalid("heartbeat time fields out of range");
  }
  Heartbeat hb;
  hb.agent_id = msg.agent_id();
  hb.boot_id = msg.boot_id();
  hb.version = msg.version();
  hb.check_count = msg.check_count();
  hb.sent_at = getTime(msg.sent_at());
  hb.interval = getDuration<std::chrono::milliseconds>(msg.interval());
  hb.last_seq = msg.last_seq();
  hb.spooled = msg.spooled();
  return hb;
}

std::string encodeCheckResult(const CheckResult& result) {
  pb::CheckResult msg;
  fillResult(result, &msg);
  return msg.SerializeAsString();
}

Result<CheckResult> decodeCheckResult(std::string_view bytes) {
  pb::CheckResult msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid("not a CheckResult protobuf");
  }
  return readResult(msg, "");
}

std::string batchMessageId(const ResultBatch& batch) {
  const std::uint64_t first = batch.results.empty() ? 0 : batch.results.front().seq;
  return batch.agent_id + "." + batch.boot_id + "." + std::to_string(first);
}

}  // namespace vitals::codec
