// The pure parts of the store: partition days, migration file names, COPY rows.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "hub/store/migrations.hpp"
#include "hub/store/partitions.hpp"
#include "hub/store/pg_connection.hpp"
#include "hub/store/pg_event_store.hpp"
#include "tests/unit/hub/test_data.hpp"

using namespace vitals;
using namespace vitals::hub::store;
using namespace std::chrono;
using vitals::test::at;

namespace {
Day ymd(int y, unsigned m, unsigned d) { return Day{year{y} / month{m} / std::chrono::day{d}}; }
}  // namespace

TEST_CASE("partition names are health_checks_pYYYYMMDD and parse back", "[hub][unit][store]") {
  CHECK(partitionName(ymd(2026, 3, 7)) == "health_checks_p20260307");
  CHECK(parsePartitionName("health_checks_p20260307") == ymd(2026, 3, 7));
  CHECK_FALSE(parsePartitionName("health_checks_default"));
  CHECK_FALSE(parsePartitionName("health_checks_p20260230"));
  CHECK_FALSE(parsePartitionName("health_checks_p2026030"));
  CHECK_FALSE(parsePartitionName("other_p20260307"));
}

TEST_CASE("partitions are prepared from yesterday to a week ahead, in UTC days",
          "[hub][unit][store]") {
  // 2027-01-15T08:00:00Z
  const auto days = daysToPrepare(at(1'800'000'000));
  REQUIRE(days.size() == 9);
  CHECK(days.front() == ymd(2027, 1, 14));
  CHECK(days.back() == ymd(2027, 1, 22));
  CHECK(dayOf(at(1'800'000'000) - hours{8} - nanoseconds{1}) == ymd(2027, 1, 14));
}

TEST_CASE("a batch may create partitions within retention and a week ahead only",
          "[hub][unit][store]") {
  const auto now = at(1'800'000'000);  // 2027-01-15
  CHECK(creatableDay(ymd(2027, 1, 15), now, 30));
  CHECK(creatableDay(ymd(2026, 12, 16), now, 30));
  CHECK_FALSE(creatableDay(ymd(2026, 12, 15), now, 30));
  CHECK(creatableDay(ymd(2027, 1, 22), now, 30));
  CHECK_FALSE(creatableDay(ymd(2027, 1, 23), now, 30));
}

TEST_CASE("a partition expires when its whole day is older than the retention",
          "[hub][unit][store]") {
  const auto now = at(1'800'000'000);  // 2027-01-15T08:00Z; cutoff 2026-12-16T08:00Z
  CHECK(expiredDay(ymd(2026, 12, 15), now, 30));   // ends 12-16T00:00, before the cutoff
  CHECK_FALSE(expiredDay(ymd(2026, 12, 16), now, 30));  // still holds rows newer than it
  CHECK_FALSE(expiredDay(ymd(2027, 1, 15), now, 1));
  CHECK(expiredDay(ymd(2027, 1, 13), now, 1));
}

TEST_CASE("migration files are validated and ordered by version", "[hub][unit][store]") {
  auto ok = parseMigrations({{"0002_more.sql", "B"}, {"0001_initial.sql", "A"}});
  REQUIRE(ok.ok());
  REQUIRE(ok->size() == 2);
  CHECK(ok.value()[0].version == 1);
  CHECK(ok.value()[0].name == "initial");
  CHECK(ok.value()[1].sql == "B");
  CHECK_FALSE(parseMigrations({{"1_x.sql", ""}}).ok());
  CHECK_FALSE(parseMigrations({{"0000_x.sql", ""}}).ok());
  CHECK_FALSE(parseMigrations({{"0001_x.txt", ""}}).ok());
  CHECK_FALSE(parseMigrations({{"0001_a.sql", ""}, {"0001_b.sql", ""}}).ok());
}

TEST_CASE("every schema/*.sql file is embedded in the hub, in order", "[hub][unit][store]") {
  std::set<std::string> on_disk;
  for (const auto& entry : std::filesystem::directory_iterator(VITALS_SCHEMA_DIR)) {
    if (entry.path().extension() == ".sql") {
      on_disk.insert(entry.path().filename().string());
    }
  }
  std::set<std::string> embedded;
  for (const auto& f : embeddedSchemaFiles()) {
    embedded.insert(f.file_name);
    CHECK_FALSE(f.text.empty());
  }
  CHECK(embedded == on_disk);
  auto parsed = parseMigrations(embeddedSchemaFiles());
  REQUIRE(parsed.ok());
  // Strictly increasing from 0001; ranges may be reserved for work in flight (0010 = alert
  // delivery while 0002..0009 belong to status/uptime): migrate() applies every missing version.
  for (std::size_t i = 0; i < parsed->size(); ++i) {
    CHECK(parsed.value()[i].version > (i == 0 ? 0 : parsed.value()[i - 1].version));
  }
  CHECK(parsed->front().version == 1);
}

TEST_CASE("COPY fields escape the COPY text format and drop NUL", "[hub][unit][store]") {
  std::string out;
  copyEscape(out, std::string("a\tb\nc\\d\re\0f", 11));
  CHECK(out == "a\\tb\\nc\\\\d\\re" "f");
}

TEST_CASE("a result becomes one COPY line of 17 columns", "[hub][unit][store]") {
  auto r = test::result("a1", "b1", 7, "web", "http", HealthStatus::Down);
  r.message = "line1\nline2";
  r.details = {{"code", "503"}, {"quote", "\"x\""}};
  r.failure_kind = FailureKind::Unexpected;
  r.observed_at = at(1'800'000'000) + microseconds{42};
  std::string line;
  appendCopyRow(line, r, at(1'800'000'001));
  REQUIRE(line.back() == '\n');
  line.pop_back();
  std::vector<std::string> cols;
  std::size_t start = 0;
  for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
    cols.push_back(line.substr(start, tab - start));
  }
  cols.push_back(line.substr(start));
  REQUIRE(cols.size() == 17);
  CHECK(cols[0] == "a1");
  CHECK(cols[2] == "7");
  CHECK(cols[6] == "down");
  CHECK(cols[8] == "1500");
  CHECK(cols[9] == "line1\\nline2");
  CHECK(cols[10] == R"({"code":"503","quote":"\\"x\\""})");
  CHECK(cols[11] == "unexpected");
  CHECK(cols[14] == "f");
  CHECK(cols[15] == "2027-01-15T08:00:00.000042Z");
  CHECK(cols[16] == "2027-01-15T08:00:01.000000Z");

  r.details.clear();
  line.clear();
  appendCopyRow(line, r, at(0));
  CHECK(line.find("\t\\N\t") != std::string::npos);
}

TEST_CASE("timestamps go to PostgreSQL with microseconds and come back from epoch micros",
          "[hub][unit][store]") {
  const auto t = at(1'800'000'000) + microseconds{1};
  CHECK(pgTimestamp(t) == "2027-01-15T08:00:00.000001Z");
  CHECK(pgTimestamp(at(-1) + microseconds{500'000}) == "1969-12-31T23:59:59.500000Z");
  CHECK(fromEpochMicros("1800000000000001") == t);
  CHECK(fromEpochMicros("1800000000000001.000000") == t);
}

TEST_CASE("the newest result per check follows seq within a boot and time across boots",
          "[hub][unit][store]") {
  std::vector<CheckResult> rs{
      test::result("a1", "b1", 5, "web", "http"),
      test::result("a1", "b1", 7, "web", "http", HealthStatus::Down),
      test::result("a1", "b1", 6, "web", "http"),
      // Same boot, later seq but an earlier clock: seq decides.
      test::result("a1", "b2", 3, "db", "tcp", HealthStatus::Down, at(1'700'000'000)),
      test::result("a1", "b2", 2, "db", "tcp", HealthStatus::Healthy, at(1'800'000'000)),
      // Another boot with a later time wins over a higher seq of an older boot.
      test::result("a2", "old", 90, "web", "http", HealthStatus::Down, at(1'700'000'000)),
      test::result("a2", "new", 1, "web", "http", HealthStatus::Healthy, at(1'800'000'000)),
  };
  const auto newest = newestPerCheck(rs);
  REQUIRE(newest.size() == 3);
  CHECK(newest[0]->agent_id == "a1");
  CHECK(newest[0]->check == "http");
  CHECK(newest[0]->seq == 7);
  CHECK(newest[1]->check == "tcp");
  CHECK(newest[1]->seq == 3);
  CHECK(newest[2]->agent_id == "a2");
  CHECK(newest[2]->boot_id == "new");
}
