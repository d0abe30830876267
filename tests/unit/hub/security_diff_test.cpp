// Scan-to-scan comparison of findings (new, open, fixed), and the security API's request
// validation (refused before the database is touched).
#include <spdlog/logger.h>
#include <catch2/catch.hpp>

#include "hub/api/security_handler.hpp"
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

TEST_CASE("the security listings refuse bad filters and cursors before the database",
          "[hub][unit][security]") {
  auto logger = std::make_shared<spdlog::logger>("null");
  // Nothing listens on port 1: a request that got as far as the database would answer 503.
  hub::store::PgPool pool{hub::store::PgConnectOptions{"host=127.0.0.1 port=1 connect_timeout=1",
                                                       "", std::chrono::milliseconds{100}},
                          1, logger};
  hub::api::SecurityHandler handler{pool};
  hub::api::ApiRequest r;
  r.method = "GET";
  for (auto q : std::vector<std::pair<std::string, std::string>>{{"severity", "severe"},
                                                                 {"severity", "CRITICAL"},
                                                                 {"status", "closed"},
                                                                 {"limit", "0"},
                                                                 {"limit", "5001"},
                                                                 {"cursor", "bm9wZQ"}}) {
    INFO(q.first << "=" << q.second);
    r.query = {q};
    auto out = handler.listFindings(r);
    CHECK(out.status == 400);
    CHECK(out.body["error"]["message"].get<std::string>().find(q.first) != std::string::npos);
  }
  for (auto q : std::vector<std::pair<std::string, std::string>>{
           {"limit", "1001"}, {"cursor", "!!"}, {"cursor", "czotNQ"}}) {
    INFO(q.first << "=" << q.second);
    r.query = {q};
    CHECK(handler.listScans(r).status == 400);
  }
  hub::api::ApiRequest id;
  id.path_params["id"] = "12abc";
  CHECK(handler.getScan(id).status == 404);
  r.query = {};
  CHECK(handler.listScans(r).status == 503);  // valid: it reached the (absent) database
}
