#include <catch2/catch.hpp>

#include "common/log/log.hpp"
#include "hub/ingest/async_acker.hpp"
#include "hub/ingest/message_source.hpp"

using namespace vitals;
using hub::ingest::AsyncAcker;
using hub::ingest::MessageList;

namespace {

// A message that reports its ack to the test (the acker owns and destroys it).
class WatchedMessage final : public hub::ingest::InboundMessage {
 public:
  WatchedMessage(std::vector<int>& acks, int id, bool fail) : acks_(acks), id_(id), fail_(fail) {}
  std::string_view subject() const override { return "vitals.agent.a1.results"; }
  std::string_view data() const override { return ""; }
  std::uint64_t numDelivered() const override { return 1; }
  Status ack() override {
    acks_.push_back(id_);
    if (fail_) {
      return Error{"nats", "injected", {}};
    }
    return okStatus();
  }
  Status nak() override { return okStatus(); }
  Status term() override { return okStatus(); }

 private:
  std::vector<int>& acks_;
  int id_;
  bool fail_;
};

MessageList watched(std::vector<int>& acks, int first, int n, int failing = -1) {
  MessageList out;
  for (int i = first; i < first + n; ++i) {
    out.push_back(std::make_unique<WatchedMessage>(acks, i, i == failing));
  }
  return out;
}

}  // namespace

TEST_CASE("the acker acks handed-over batches in commit order and counts failed acks",
          "[hub][unit][ingest]") {
  metrics::Registry registry;
  std::vector<int> acks;  // written by the acker thread, read after flush()
  AsyncAcker acker(registry, log::makeLogger("test", log::LogOptions{"off", log::Format::Text}));
  acker.ackCommitted(watched(acks, 0, 3));
  acker.ackCommitted(MessageList{});
  acker.ackCommitted(watched(acks, 3, 2, /*failing=*/4));
  acker.flush();
  CHECK(acks == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(registry.counter("vitals_ingest_settle_errors_total", "").value() == 1);
}

TEST_CASE("the acker sends everything still queued before it is destroyed", "[hub][unit][ingest]") {
  metrics::Registry registry;
  std::vector<int> acks;
  {
    AsyncAcker acker(registry, log::makeLogger("test", log::LogOptions{"off", log::Format::Text}));
    for (int i = 0; i < 50; ++i) {
      acker.ackCommitted(watched(acks, i * 10, 10));
    }
  }
  REQUIRE(acks.size() == 500);
  CHECK(acks.back() == 499);
}
