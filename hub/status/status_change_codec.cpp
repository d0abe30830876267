#include "hub/status/status_change_codec.hpp"

#include "common/model/proto_time.hpp"
#include "common/model/status_proto.hpp"
#include "vitals/v1/hub.pb.h"

namespace vitals::hub::status {
namespace {

namespace pb = vitals::v1;

HealthStatus statusOf(pb::Status s) {
  HealthStatus out = HealthStatus::Unknown;  // unspecified or unknown values read as unknown
  codec::fromProto(s, out);
  return out;
}

}  // namespace

std::string encodeStatusChange(std::string_view hub_id, const policy::Transition& t) {
  pb::StatusChange m;
  m.set_hub_id(std::string(hub_id));
  m.set_service(t.service);
  m.set_from(codec::toProto(t.from));
  m.set_to(codec::toProto(t.to));
  codec::setTime(m.mutable_at(), t.at);
  m.set_reason(t.reason);
  m.set_agent_id(t.agent);
  m.set_check(t.check);
  return m.SerializeAsString();
}

Result<DecodedStatusChange> decodeStatusChange(std::string_view data) {
  pb::StatusChange m;
  if (!m.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    return Error{"decode", "not a StatusChange", {}};
  }
  DecodedStatusChange d;
  d.hub_id = m.hub_id();
  auto& t = d.transition;
  t.service = m.service();
  t.from = statusOf(m.from());
  t.to = statusOf(m.to());
  t.at = codec::getTime(m.at());
  t.reason = m.reason();
  t.agent = m.agent_id();
  t.check = m.check();
  return d;
}

}  // namespace vitals::hub::status
