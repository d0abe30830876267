#include "hub/store/security_diff.hpp"

#include <map>
#include <set>
#include <tuple>

namespace vitals::hub::store {
namespace {

using Key = std::tuple<std::string_view, std::string_view, std::string_view, std::string_view>;

Key keyOf(const ScanFinding& f) {
  return {f.target, f.vulnerability_id, f.package, f.installed_version};
}

}  // namespace

std::vector<FindingRecord> diffFindings(const std::vector<FindingRecord>& previous,
                                        const std::vector<ScanFinding>& current,
                                        SystemTime seen_at) {
  std::map<Key, const FindingRecord*> before;
  for (const auto& p : previous) {
    if (p.status != FindingStatus::Fixed) {
      before.emplace(keyOf(p.finding), &p);
    }
  }
  std::vector<FindingRecord> out;
  out.reserve(current.size() + previous.size());
  std::set<Key> now;
  for (const auto& f : current) {
    if (!now.insert(keyOf(f)).second) {
      continue;
    }
    FindingRecord r;
    r.finding = f;
    r.last_seen = seen_at;
    if (auto it = before.find(keyOf(f)); it != before.end()) {
      r.status = FindingStatus::Open;
      r.first_seen = it->second->first_seen;
    } else {
      r.status = FindingStatus::New;
      r.first_seen = seen_at;
    }
    out.push_back(std::move(r));
  }
  for (const auto& [key, p] : before) {
    if (now.count(key) == 0) {
      FindingRecord r = *p;
      r.status = FindingStatus::Fixed;
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace vitals::hub::store
