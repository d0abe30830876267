// The live stream's table tail: new rows of an append-only table become events once each, in
// id order, even when transactions commit out of id order; history is not replayed; a database
// outage loses nothing. Over a fake source and ManualTime.
#include <catch2/catch.hpp>
#include <map>

#include "common/time/manual_time.hpp"
#include "hub/stream/pg_tail_sources.hpp"
#include "hub/stream/table_tail.hpp"

using namespace vitals;
using namespace vitals::hub;
using namespace std::chrono_literals;

namespace {

// The committed rows of a table; ids may be committed in any order.
class FakeTable final : public stream::TailSource {
 public:
  void commit(std::int64_t id, std::string kind = "incident") {
    stream::TailRow r;
    r.id = id;
    r.kind = std::move(kind);
    r.service = "svc-" + std::to_string(id);
    r.data = {{"id", id}};
    rows[id] = r;
  }
  Result<std::vector<stream::TailRow>> after(std::int64_t after, int limit) override {
    if (down) {
      return Error{"db.unavailable", "connection refused", {}};
    }
    std::vector<stream::TailRow> out;
    for (auto it = rows.upper_bound(after);
         it != rows.end() && static_cast<int>(out.size()) < limit; ++it) {
      out.push_back(it->second);
    }
    return out;
  }
  Result<std::int64_t> newestId() override {
    if (down) {
      return Error{"db.unavailable", "connection refused", {}};
    }
    return rows.empty() ? 0 : rows.rbegin()->first;
  }
  std::map<std::int64_t, stream::TailRow> rows;
  bool down = false;
};

class RecordingPublisher final : public stream::EventPublisher {
 public:
  void publish(std::string_view kind, std::string_view service, nlohmann::json data,
               auth::Role) override {
    kinds.emplace_back(kind);
    services.emplace_back(service);
    ids.push_back(data["id"].get<std::int64_t>());
  }
  std::vector<std::string> kinds, services;
  std::vector<std::int64_t> ids;
};

struct Rig {
  ManualTime time;
  FakeTable table;
  RecordingPublisher published;
  stream::TableTail tail{table, published, time, stream::TailSettings{3, 5s}};
};

}  // namespace

TEST_CASE("a table tail starts at the table's end and publishes each new row once, in order",
          "[hub][unit][stream]") {
  Rig rig;
  rig.table.commit(1);
  rig.table.commit(2);
  REQUIRE(rig.tail.poll().ok());  // finds the end: history is not replayed
  CHECK(rig.published.ids.empty());
  CHECK(rig.tail.watermark() == 2);
  for (std::int64_t id = 3; id <= 9; ++id) {
    rig.table.commit(id);
  }
  REQUIRE(rig.tail.poll().ok());  // seven rows, batches of three: all in one poll
  CHECK(rig.published.ids == std::vector<std::int64_t>{3, 4, 5, 6, 7, 8, 9});
  CHECK(rig.published.services.front() == "svc-3");
  REQUIRE(rig.tail.poll().ok());
  CHECK(rig.published.ids.size() == 7);
  CHECK(rig.tail.watermark() == 9);
}

TEST_CASE("a row committed late below a published one is published, not skipped",
          "[hub][unit][stream]") {
  Rig rig;
  REQUIRE(rig.tail.poll().ok());
  rig.table.commit(1);
  rig.table.commit(3);  // id 2's transaction has not committed yet
  REQUIRE(rig.tail.poll().ok());
  CHECK(rig.published.ids == std::vector<std::int64_t>{1, 3});
  CHECK(rig.tail.watermark() == 1);
  rig.time.advance(1s);
  rig.table.commit(2);
  rig.table.commit(4);
  REQUIRE(rig.tail.poll().ok());
  CHECK(rig.published.ids == std::vector<std::int64_t>{1, 3, 2, 4});  // 3 is not repeated
  CHECK(rig.tail.watermark() == 4);
  CHECK(rig.tail.pendingAboveWatermark() == 0);
}

TEST_CASE("a gap that never fills (a rolled-back id) is given up after gap_timeout",
          "[hub][unit][stream]") {
  Rig rig;
  REQUIRE(rig.tail.poll().ok());
  rig.table.commit(2);  // id 1 rolled back
  REQUIRE(rig.tail.poll().ok());
  CHECK(rig.tail.watermark() == 0);
  rig.time.advance(4s);
  REQUIRE(rig.tail.poll().ok());
  CHECK(rig.tail.watermark() == 0);
  rig.time.advance(1s);
  REQUIRE(rig.tail.poll().ok());
  CHECK(rig.tail.watermark() == 2);
  CHECK(rig.published.ids == std::vector<std::int64_t>{2});
}

TEST_CASE("a database outage keeps the position: nothing is lost or repeated",
          "[hub][unit][stream]") {
  Rig rig;
  rig.table.down = true;
  CHECK_FALSE(rig.tail.poll().ok());
  rig.table.down = false;
  REQUIRE(rig.tail.poll().ok());
  rig.table.commit(1);
  rig.table.down = true;
  CHECK_FALSE(rig.tail.poll().ok());
  rig.table.commit(2);
  rig.table.down = false;
  REQUIRE(rig.tail.poll().ok());
  CHECK(rig.published.ids == std::vector<std::int64_t>{1, 2});
}

TEST_CASE("rows without a kind move the position but are not events", "[hub][unit][stream]") {
  Rig rig;
  REQUIRE(rig.tail.poll().ok());
  rig.table.commit(1, "");
  rig.table.commit(2, "repair");
  rig.table.commit(3, "");
  REQUIRE(rig.tail.poll().ok());
  CHECK(rig.published.ids == std::vector<std::int64_t>{2});
  CHECK(rig.published.kinds == std::vector<std::string>{"repair"});
  CHECK(rig.tail.watermark() == 3);
}

TEST_CASE("repair audit steps map to repair and approval events", "[hub][unit][stream]") {
  CHECK(stream::repairAuditKind("repair.request-approval") == "approval");
  CHECK(stream::repairAuditKind("repair.approve") == "approval");
  CHECK(stream::repairAuditKind("repair.reject") == "approval");
  CHECK(stream::repairAuditKind("repair.expire") == "approval");
  CHECK(stream::repairAuditKind("repair.execute") == "repair");
  CHECK(stream::repairAuditKind("repair.finish") == "repair");
  CHECK(stream::repairAuditKind("repair.skip") == "repair");
}
