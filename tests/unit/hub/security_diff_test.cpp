// Scan-to-scan comparison of findings: new, open, fixed.
#include <catch2/catch.hpp>

#include "hub/store/security_diff.hpp"

using namespace vitals;
using namespace vitals::hub::store;
using namespace std::chrono_literals;

namespace {

ScanFinding finding(const std::string& id, const std::string& pkg = "openssl",
                    const std::string& installed = "1.0") {
  return ScanFinding{"img", id, pkg, installed, "", Severity::High, "t"};
}

FindingRecord record(const ScanFinding& f, FindingStatus status, SystemTime first,
                     SystemTime last) {
  return FindingRecord{f, status, first, last};
}

const FindingRecord* find(const std::vector<FindingRecord>& rows, const std::string& id) {
  for (const auto& r : rows) {
    if (r.finding.vulnerability_id == id) {
      return &r;
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("the first scan of a check makes every finding new", "[hub][unit][security]") {
  const SystemTime t{1000s};
  auto rows = diffFindings({}, {finding("A"), finding("B")}, t);
  REQUIRE(rows.size() == 2);
  for (const auto& r : rows) {
    CHECK(r.status == FindingStatus::New);
    CHECK(r.first_seen == t);
    CHECK(r.last_seen == t);
  }
}

TEST_CASE("between scans a finding still there is open, a gone one fixed and an unseen one new",
          "[hub][unit][security]") {
  const SystemTime t1{1000s};
  const SystemTime t2{2000s};
  const std::vector<FindingRecord> previous = {
      record(finding("A"), FindingStatus::New, t1, t1),
      record(finding("B"), FindingStatus::Open, t1 - 500s, t1)};
  auto rows = diffFindings(previous, {finding("A"), finding("C")}, t2);
  REQUIRE(rows.size() == 3);
  const auto* a = find(rows, "A");
  const auto* b = find(rows, "B");
  const auto* c = find(rows, "C");
  REQUIRE((a && b && c));
  CHECK(a->status == FindingStatus::Open);
  CHECK(a->first_seen == t1);  // carried over
  CHECK(a->last_seen == t2);
  CHECK(b->status == FindingStatus::Fixed);
  CHECK(b->first_seen == t1 - 500s);
  CHECK(b->last_seen == t1);  // when it was last seen, not now
  CHECK(c->status == FindingStatus::New);
  CHECK(c->first_seen == t2);
}

TEST_CASE("a finding fixed in the previous scan that comes back is new again",
          "[hub][unit][security]") {
  const SystemTime t{5000s};
  auto rows =
      diffFindings({record(finding("A"), FindingStatus::Fixed, SystemTime{1s}, SystemTime{2s})},
                   {finding("A")}, t);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].status == FindingStatus::New);
  CHECK(rows[0].first_seen == t);
}

TEST_CASE("another installed version of a package is another finding", "[hub][unit][security]") {
  const SystemTime t1{1000s};
  auto rows = diffFindings({record(finding("A", "openssl", "1.0"), FindingStatus::New, t1, t1)},
                           {finding("A", "openssl", "1.1")}, t1 + 10s);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].status == FindingStatus::New);
  CHECK(rows[0].finding.installed_version == "1.1");
  CHECK(rows[1].status == FindingStatus::Fixed);
}

TEST_CASE("a finding listed twice in one report is stored once", "[hub][unit][security]") {
  auto rows = diffFindings({}, {finding("A"), finding("A"), finding("A", "zlib")}, SystemTime{1s});
  CHECK(rows.size() == 2);
}
