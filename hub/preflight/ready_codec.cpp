#include "hub/preflight/ready_codec.hpp"

#include <google/protobuf/util/time_util.h>

#include "vitals/v1/hub.pb.h"

namespace vitals::hub::preflight {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp toProto(SystemTime t) {
  return TimeUtil::MicrosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

SystemTime fromProto(const google::protobuf::Timestamp& t) {
  return SystemTime{std::chrono::microseconds{TimeUtil::TimestampToMicroseconds(t)}};
}

}  // namespace

std::string encodeReady(const std::string& hub_id, const PreflightReport& report) {
  v1::HubReady m;
  m.set_hub_id(hub_id);
  m.set_ready(report.ready);
  *m.mutable_at() = toProto(report.evaluated_at);
  if (report.last_run) {
    *m.mutable_last_run() = toProto(*report.last_run);
  }
  for (const auto& c : report.checks) {
    auto* s = m.add_checks();
    s->set_name(c.name);
    s->set_kind(c.kind);
    s->set_required(c.required);
    s->set_passed(c.passed);
    s->set_overridden(c.overridden);
    s->set_error(c.error);
  }
  return m.SerializeAsString();
}

Result<ReadyMessage> decodeReady(std::string_view bytes) {
  v1::HubReady m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Error{"codec.ready", "not a vitals.v1.HubReady message", {}};
  }
  ReadyMessage out;
  out.hub_id = m.hub_id();
  out.report.ready = m.ready();
  out.report.evaluated_at = fromProto(m.at());
  if (m.has_last_run()) {
    out.report.last_run = fromProto(m.last_run());
  }
  for (const auto& s : m.checks()) {
    CheckReport c;
    c.name = s.name();
    c.kind = s.kind();
    c.required = s.required();
    c.passed = s.passed();
    c.overridden = s.overridden();
    c.error = s.error();
    c.ran = true;
    out.report.checks.push_back(std::move(c));
  }
  return out;
}

}  // namespace vitals::hub::preflight
