#pragma once
// PreflightReport <-> vitals.v1.HubReady (the hub.<hub_id>.ready payload). The .pb.h stays in
// the .cpp.
#include <string>
#include <string_view>

#include "common/error/result.hpp"
#include "hub/preflight/preflight_runner.hpp"

namespace vitals::hub::preflight {

std::string encodeReady(const std::string& hub_id, const PreflightReport& report);

struct ReadyMessage {
  std::string hub_id;
  PreflightReport report;  // checks carry name, kind, required, passed, overridden, error
};
// Error code "codec.ready" when the bytes are not a HubReady.
Result<ReadyMessage> decodeReady(std::string_view bytes);

}  // namespace vitals::hub::preflight
