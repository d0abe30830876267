// FileSpool on a real temporary directory (local files only: no network, no sleeping).
#include <stdlib.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agent/publish/result_pipeline.hpp"
#include "agent/spool/file_spool.hpp"
#include "agent/spool/memory_spool.hpp"
#include "common/time/manual_time.hpp"
#include "tests/unit/agent/fakes/fake_bus_publisher.hpp"
#include "tests/unit/agent/fakes/fake_work_queue.hpp"
#include "tests/unit/agent/fakes/test_logger.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "vitals-spool-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::vector<std::string> segments() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(path)) {
      if (e.path().extension() == ".seg") {
        out.push_back(e.path().string());
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string path;
};

std::unique_ptr<FileSpool> openSpool(const std::string& dir, SpoolRecovery& recovery,
                                     std::uint64_t max_bytes = 1 << 20,
                                     std::uint64_t segment_bytes = 0) {
  auto spool = FileSpool::open(FileSpoolOptions{dir, max_bytes, segment_bytes}, recovery);
  REQUIRE(spool.ok());
  return std::move(*spool);
}

std::string payload(int i) { return "batch-" + std::to_string(i) + std::string(100, 'x'); }
std::string msgId(int i) { return "a1.boot1." + std::to_string(i); }

// Pops everything, returning the message ids in order.
std::vector<std::string> drainIds(Spool& spool) {
  std::vector<std::string> ids;
  while (auto f = spool.front()) {
    ids.push_back(f->msg_id);
    REQUIRE(spool.pop(f->id));
  }
  return ids;
}

std::vector<std::string> ids(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i <= to; ++i) {
    out.push_back(msgId(i));
  }
  return out;
}

}  // namespace

TEST_CASE("the file spool returns records in order with the same id and bytes",
          "[agent][unit][spool]") {
  TempDir dir;
  SpoolRecovery rec;
  auto spool = openSpool(dir.path, rec);
  for (int i = 1; i <= 5; ++i) {
    REQUIRE(spool->append(msgId(i), payload(i), static_cast<std::uint32_t>(i)).ok());
  }
  CHECK(spool->batches() == 5);
  CHECK(spool->results() == 15);
  auto f = spool->front();
  REQUIRE(f);
  CHECK(f->msg_id == msgId(1));
  CHECK(f->payload == payload(1));
  CHECK(f->results == 1);
  CHECK(spool->front()->id == f->id);  // front is stable until popped
  CHECK(drainIds(*spool) == ids(1, 5));
  CHECK(spool->empty());
  CHECK(dir.segments().empty());  // stored segments are deleted
}

TEST_CASE("pop of a record that is no longer the front is refused", "[agent][unit][spool]") {
  TempDir dir;
  SpoolRecovery rec;
  auto spool = openSpool(dir.path, rec);
  REQUIRE(spool->append(msgId(1), payload(1), 1).ok());
  REQUIRE(spool->append(msgId(2), payload(2), 1).ok());
  const auto first = spool->front()->id;
  REQUIRE(spool->pop(first));
  CHECK_FALSE(spool->pop(first));
  CHECK(spool->front()->msg_id == msgId(2));
}

TEST_CASE("a restarted spool replays what was not stored, same ids and bytes, in order",
          "[agent][unit][spool]") {
  TempDir dir;
  {
    SpoolRecovery rec;
    auto spool = openSpool(dir.path, rec, 1 << 20, 4096);  // several segments
    for (int i = 1; i <= 60; ++i) {
      REQUIRE(spool->append(msgId(i), payload(i), 2).ok());
    }
    for (int i = 1; i <= 25; ++i) {  // 1..25 were stored by JetStream
      REQUIRE(spool->pop(spool->front()->id));
    }
    REQUIRE(spool->segmentCount() > 1);
  }  // the agent stops (or is killed: nothing is flushed in the destructor that matters)
  SpoolRecovery rec;
  auto spool = openSpool(dir.path, rec, 1 << 20, 4096);
  CHECK(rec.batches == 35);
  CHECK(rec.results == 70);
  CHECK(rec.truncated_bytes == 0);
  auto f = spool->front();
  REQUIRE(f);
  CHECK(f->payload == payload(26));
  // New records go behind the old ones.
  REQUIRE(spool->append("a1.boot2.1", "new", 1).ok());
  auto all = drainIds(*spool);
  auto expected = ids(26, 60);
  expected.push_back("a1.boot2.1");
  CHECK(all == expected);
}

TEST_CASE("a torn record at the end of a segment is cut off and the rest survives",
          "[agent][unit][spool]") {
  TempDir dir;
  {
    SpoolRecovery rec;
    auto spool = openSpool(dir.path, rec);
    for (int i = 1; i <= 3; ++i) {
      REQUIRE(spool->append(msgId(i), payload(i), 1).ok());
    }
  }
  auto segs = dir.segments();
  REQUIRE(segs.size() == 1);
  const auto good_size = fs::file_size(segs[0]);
  SECTION("garbage after the last record") {
    std::ofstream(segs[0], std::ios::app | std::ios::binary) << "VSP1\x7f\x00garbage-garbage";
  }
  SECTION("a half-written record (crash mid-write)") {
    std::string rec;
    {
      std::ifstream in(segs[0], std::ios::binary);
      rec.assign(std::istreambuf_iterator<char>(in), {});
    }
    // The first 100 bytes of a 135-byte record: the header promises more than the file has.
    std::ofstream(segs[0], std::ios::app | std::ios::binary) << rec.substr(0, rec.size() / 3 - 35);
  }
  SECTION("a record whose CRC does not match") {
    std::string rec;
    {
      std::ifstream in(segs[0], std::ios::binary);
      rec.assign(std::istreambuf_iterator<char>(in), {});
    }
    std::string copy = rec.substr(0, rec.size() / 3);  // the first record, whole
    copy[copy.size() - 5] ^= 0x55;                     // one flipped byte in its payload
    std::ofstream(segs[0], std::ios::app | std::ios::binary) << copy;
  }
  SpoolRecovery rec;
  auto spool = openSpool(dir.path, rec);
  CHECK(rec.truncated_bytes > 0);
  CHECK(rec.notes.size() == 1);
  CHECK(rec.batches == 3);
  CHECK(fs::file_size(segs[0]) == good_size);
  // Appending after the repair lands on a record boundary and reads back.
  REQUIRE(spool->append(msgId(4), payload(4), 1).ok());
  CHECK(drainIds(*spool) == ids(1, 4));
}

TEST_CASE("a full file spool drops its oldest segment first and counts the results",
          "[agent][unit][spool]") {
  TempDir dir;
  SpoolRecovery rec;
  // 8 KiB spool of 4 KiB segments; each record is ~130 bytes: ~31 per segment.
  auto spool = openSpool(dir.path, rec, 8192, 4096);
  std::uint64_t dropped_batches = 0;
  std::uint64_t dropped_results = 0;
  for (int i = 1; i <= 100; ++i) {
    auto out = spool->append(msgId(i), payload(i), 3);
    REQUIRE(out.ok());
    dropped_batches += out->dropped_batches;
    dropped_results += out->dropped_results;
  }
  CHECK(spool->bytes() <= 8192);
  CHECK(dropped_batches > 0);
  CHECK(dropped_results == 3 * dropped_batches);
  CHECK(spool->batches() + dropped_batches == 100);
  // What is left is the newest, still in order and gap-free.
  auto left = drainIds(*spool);
  CHECK(left == ids(static_cast<int>(101 - left.size()), 100));
}

TEST_CASE("a record larger than the whole spool is refused, not stored", "[agent][unit][spool]") {
  TempDir dir;
  SpoolRecovery rec;
  auto spool = openSpool(dir.path, rec, 65536);
  auto out = spool->append("big", std::string(70000, 'x'), 1);
  CHECK_FALSE(out.ok());
  CHECK(spool->empty());
  MemorySpool memory(65536);
  CHECK_FALSE(memory.append("big", std::string(70000, 'x'), 1).ok());
}

TEST_CASE("the memory spool keeps order and drops the oldest record when full",
          "[agent][unit][spool]") {
  MemorySpool spool(3 * (16 + 10 + 107));  // three records: id 10 bytes, payload 107
  for (int i = 1; i <= 5; ++i) {
    REQUIRE(spool.append(msgId(i), payload(i), 1).ok());
  }
  CHECK(spool.batches() == 3);
  CHECK(drainIds(spool) == ids(3, 5));
}

TEST_CASE("results spooled by a killed agent are replayed by the next boot with their old ids",
          "[agent][unit][spool][publish]") {
  TempDir dir;
  ManualTime time;
  FixedRandom random{0.0};
  test::FakeBusPublisher bus;
  test::InlineWorkQueue queue;
  metrics::Registry metrics;
  PipelineSettings ps;
  ps.agent_id = "a1";
  ps.max_batch = 2;
  ps.max_delay = 100ms;
  std::vector<std::string> first_attempts;
  {
    SpoolRecovery rec;
    auto spool = openSpool(dir.path, rec);
    ps.boot_id = "boot1";
    ResultPipeline pipeline(ps, time, time, random, bus, queue, *spool, metrics,
                            test::quietLogger());
    bus.down = true;
    for (int i = 0; i < 5; ++i) {
      CheckResult r;
      r.service = "s";
      r.check = "c";
      r.kind = "tcp";
      r.observed_at = SystemTime{std::chrono::seconds{1'800'000'000}};
      pipeline.add(r);
    }
    time.advance(100ms);  // the 5th result's partial batch is spooled too
    REQUIRE(spool->batches() == 3);
    for (const auto& m : bus.attempts) {
      first_attempts.push_back(m.data);
    }
  }  // the agent dies here: nothing but the files is left
  REQUIRE(!first_attempts.empty());
  bus.down = false;
  SpoolRecovery rec;
  auto spool = openSpool(dir.path, rec);
  CHECK(rec.results == 5);
  ps.boot_id = "boot2";
  ResultPipeline pipeline(ps, time, time, random, bus, queue, *spool, metrics, test::quietLogger());
  pipeline.start();
  time.advance(1s);
  std::vector<std::string> ids;
  for (const auto& m : bus.stored) {
    ids.push_back(m.msg_id);
  }
  CHECK(ids == std::vector<std::string>{"a1.boot1.1", "a1.boot1.3", "a1.boot1.5"});
  REQUIRE(!bus.stored.empty());
  CHECK(bus.stored[0].data == first_attempts[0]);  // the very bytes tried before the kill
  CHECK(spool->empty());
  CHECK(dir.segments().empty());
}

TEST_CASE("a finished segment is synced and closed by the background runner, not by append",
          "[agent][unit][spool]") {
  TempDir dir;
  SpoolRecovery recovery;
  auto spool = openSpool(dir.path, recovery, 1 << 20, 4096);
  std::vector<std::function<void()>> jobs;
  spool->setBackground([&jobs](std::function<void()> job) { jobs.push_back(std::move(job)); });
  for (int i = 1; i <= 80; ++i) {  // 80 records of ~140 bytes: three 4 KiB segments
    REQUIRE(spool->append(msgId(i), payload(i), 1).ok());
  }
  CHECK(dir.segments().size() == 3);
  REQUIRE(jobs.size() == 2);  // one per finished segment; the open one stays with the spool
  for (auto& job : jobs) {
    job();
  }
  CHECK(drainIds(*spool) == ids(1, 80));
}
