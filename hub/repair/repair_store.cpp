#include "hub/repair/repair_store.hpp"

namespace vitals::hub::repair {

std::string repairStatusOf(Verdict v) {
  switch (v) {
    case Verdict::Skip:
      return "skipped";
    case Verdict::Escalate:
      return "escalated";
    case Verdict::DryRun:
      return "dry-run";
    case Verdict::PendingApproval:
      return "pending";
    case Verdict::Execute:
      return "running";
    case Verdict::None:
      break;
  }
  return "skipped";
}

}  // namespace vitals::hub::repair
