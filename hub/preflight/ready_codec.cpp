#include "hub/preflight/ready_codec.hpp"

#include "common/model/proto_time.hpp"
#include "vitals/v1/hub.pb.h"

namespace vitals::hub::preflight {

std::string encodeReady(const std::string& hub_id, const PreflightReport& report) {
  v1::HubReady m;
  m.set_hub_id(hub_id);
  m.set_ready(report.ready);
  codec::setTime(m.mutable_at(), report.evaluated_at);
  if (report.last_run) {
    codec::setTime(m.mutable_last_run(), *report.last_run);
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
  out.report.evaluated_at = codec::getTime(m.at());
  if (m.has_last_run()) {
    out.report.last_run = codec::getTime(m.last_run());
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
