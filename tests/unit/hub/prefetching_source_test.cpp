#include <catch2/catch.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "common/time/clock.hpp"
#include "fakes/fake_messages.hpp"
#include "hub/ingest/prefetching_source.hpp"

using namespace vitals;
using namespace std::chrono_literals;
using hub::ingest::PrefetchingSource;
using hub::ingest::PrefetchOptions;

// These tests run the prefetch thread for real, on the real clock; every wait is on a condition
// the thread satisfies promptly, bounded by a generous timeout.

namespace {

// Like NATS: a fetch with nothing pending waits for its timeout (instead of returning at once).
// Records the batch sizes asked for.
class WaitingSource final : public hub::ingest::MessageSource {
 public:
  void push(int n) {
    {
      std::lock_guard lock(mu_);
      for (int i = 0; i < n; ++i) {
        pending_.push_back("m" + std::to_string(next_++));
      }
    }
    cv_.notify_all();
  }
  Result<hub::ingest::MessageList> fetch(int max, std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mu_);
    asked.push_back(max);
    cv_.wait_for(lock, timeout, [this] { return !pending_.empty(); });
    hub::ingest::MessageList out;
    while (!pending_.empty() && static_cast<int>(out.size()) < max) {
      out.push_back(
          std::make_unique<test::FakeMessage>("vitals.agent.a1.results", pending_.front()));
      pending_.pop_front();
    }
    return out;
  }
  std::vector<int> asked;  // read after the source is stopped

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> pending_;
  int next_ = 0;
};

}  // namespace

TEST_CASE("the prefetching source hands over the inner source's messages in order, decoded",
          "[hub][unit]") {
  test::FakeMessageSource inner;
  inner.push({{"vitals.agent.a1.gossip", "x"}});
  inner.push({{"vitals.agent.a1.results", "\xff garbage"}, {"vitals.agent.a2.results", "y"}});
  SystemClock clock;
  PrefetchingSource source(inner, clock, PrefetchOptions{7, 10ms, 0ms});

  hub::ingest::MessageList all;
  for (int i = 0; i < 100 && all.size() < 3; ++i) {
    auto next = source.fetch(7, 5s);
    REQUIRE(next.ok());
    for (auto& m : next.value()) {
      all.push_back(std::move(m));
    }
  }
  REQUIRE(all.size() == 3);
  CHECK(all[0]->subject() == "vitals.agent.a1.gossip");
  CHECK(all[0]->takeDecoded().verdict == hub::ingest::DecodedMessage::Verdict::Malformed);
  CHECK(all[2]->subject() == "vitals.agent.a2.results");
}

TEST_CASE("an error of the inner source reaches the caller, and fetching goes on after it",
          "[hub][unit]") {
  test::FakeMessageSource inner;
  inner.pushError();
  inner.push({{"vitals.agent.a1.results", "z"}});
  SystemClock clock;
  PrefetchingSource source(inner, clock, PrefetchOptions{10, 10ms, 0ms});
  auto failed = source.fetch(10, 5s);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == "nats.unavailable");
  auto next = source.fetch(10, 5s);
  REQUIRE(next.ok());
  CHECK(next->size() == 1);
}

TEST_CASE("with nothing fetched ahead, fetch returns an empty batch after its timeout",
          "[hub][unit]") {
  WaitingSource inner;
  SystemClock clock;
  PrefetchingSource source(inner, clock, PrefetchOptions{10, 10ms, 0ms});
  auto none = source.fetch(10, 20ms);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("a lone message is handed over max_delay after it arrived, not after the fetch timeout",
          "[hub][unit]") {
  WaitingSource inner;
  SystemClock clock;
  // A fetch timeout of 10 s: the old behaviour (one fetch for a whole batch) would hold the
  // message that long.
  std::vector<int> asked;
  {
    PrefetchingSource source(inner, clock, PrefetchOptions{500, 10s, 30ms});
    const auto start = std::chrono::steady_clock::now();
    inner.push(1);
    auto got = source.fetch(500, 8s);
    const auto waited = std::chrono::steady_clock::now() - start;
    REQUIRE(got.ok());
    REQUIRE(got->size() == 1);
    CHECK(waited >= 30ms);  // the window stayed open for more
    CHECK(waited < 5s);
    // The inner fetch is interrupted only by its own timeout: wake it for the destructor.
    inner.push(1);
  }
  // Nothing gathered: the thread asked for a single message (which returns on arrival).
  REQUIRE_FALSE(inner.asked.empty());
  CHECK(inner.asked.front() == 1);
}

TEST_CASE("messages arriving while a batch is open join it, up to the batch size", "[hub][unit]") {
  WaitingSource inner;
  SystemClock clock;
  PrefetchingSource source(inner, clock, PrefetchOptions{5, 10s, 200ms});
  inner.push(1);
  inner.push(6);
  auto first = source.fetch(5, 8s);
  REQUIRE(first.ok());
  CHECK(first->size() == 5);  // full: due before the 200 ms window closed
  CHECK((*first)[0]->data() == "m0");
  auto second = source.fetch(5, 8s);
  REQUIRE(second.ok());
  CHECK(second->size() == 2);
  CHECK((*second)[0]->data() == "m5");
  inner.push(1);  // wakes the inner fetch for the destructor
}
