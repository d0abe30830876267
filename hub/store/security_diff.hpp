#pragma once
// Pure: a scan's findings compared with the same check's previous scan (docs/security-scans.md).
// A finding is identified by (target, vulnerability_id, package, installed_version).
#include <string>
#include <string_view>
#include <vector>

#include "common/model/scan_report.hpp"
#include "common/time/clock.hpp"

namespace vitals::hub::store {

enum class FindingStatus { New, Open, Fixed };
constexpr std::string_view toString(FindingStatus s) {
  switch (s) {
    case FindingStatus::New:
      return "new";
    case FindingStatus::Open:
      return "open";
    case FindingStatus::Fixed:
      return "fixed";
  }
  return "new";
}

// One security_findings row.
struct FindingRecord {
  ScanFinding finding;
  FindingStatus status = FindingStatus::New;
  SystemTime first_seen{};
  SystemTime last_seen{};
};

// previous: the previous scan's rows that were still present (new or open); current: this scan's
// findings; seen_at: when this scan ran. Returns this scan's rows: every current finding (new, or
// open with the previous first_seen; a finding listed twice counts once) followed by every
// previous one missing now (fixed, keeping its first_seen and last_seen).
std::vector<FindingRecord> diffFindings(const std::vector<FindingRecord>& previous,
                                        const std::vector<ScanFinding>& current,
                                        SystemTime seen_at);

}  // namespace vitals::hub::store
