#pragma once
// Transition <-> vitals.v1.StatusChange (the wire format of hub.<hub_id>.health.<service>).
#include <string>
#include <string_view>

#include "common/error/result.hpp"
#include "hub/policy/transition.hpp"

namespace vitals::hub::status {

std::string encodeStatusChange(std::string_view hub_id, const policy::Transition& t);
// For tests and subscribers in C++: the transition fields and the hub id.
struct DecodedStatusChange {
  std::string hub_id;
  policy::Transition transition;  // cause/first are not on the wire
};
Result<DecodedStatusChange> decodeStatusChange(std::string_view data);

}  // namespace vitals::hub::status
