#pragma once
// HealthStatus <-> vitals.v1.Status, for the .cpp files that build or read protobuf messages
// (agent/hub codecs). Includes a generated header: keep it out of widely included headers.
#include "common/model/status.hpp"
#include "vitals/v1/common.pb.h"

namespace vitals::codec {

vitals::v1::Status toProto(HealthStatus s);
// False (and `out` untouched) for STATUS_UNSPECIFIED or a value this build does not know.
bool fromProto(vitals::v1::Status s, HealthStatus& out);

}  // namespace vitals::codec
