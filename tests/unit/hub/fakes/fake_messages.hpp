#pragma once
// Message-source fakes: messages remember how they were settled; the source replays a script.
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hub/ingest/message_source.hpp"

namespace vitals::test {

enum class Settled { None, Acked, Naked, Termed };

class FakeMessage final : public hub::ingest::InboundMessage {
 public:
  FakeMessage(std::string subject, std::string data) : subject_(std::move(subject)), data_(std::move(data)) {}
  std::string_view subject() const override { return subject_; }
  std::string_view data() const override { return data_; }
  std::uint64_t numDelivered() const override { return 1; }
  Status ack() override { return settle(Settled::Acked); }
  Status nak() override { return settle(Settled::Naked); }
  Status term() override { return settle(Settled::Termed); }

  Settled settled = Settled::None;
  int settle_calls = 0;

 private:
  Status settle(Settled how) {
    settled = how;
    ++settle_calls;
    return okStatus();
  }
  std::string subject_;
  std::string data_;
};

// Keeps raw pointers to the messages it hands out so tests can look at them afterwards; the
// MessageList owns them.
class FakeMessageSource final : public hub::ingest::MessageSource {
 public:
  // Queues one fetch result made of these (subject, payload) pairs.
  void push(const std::vector<std::pair<std::string, std::string>>& messages) {
    script_.push_back(messages);
  }
  void pushError() { script_.push_back(std::nullopt); }

  Result<hub::ingest::MessageList> fetch(int max, std::chrono::milliseconds) override {
    ++fetch_calls;
    last_max = max;
    if (script_.empty()) {
      return hub::ingest::MessageList{};
    }
    auto next = std::move(script_.front());
    script_.pop_front();
    if (!next) {
      return Error{"nats.unavailable", "injected", {}};
    }
    hub::ingest::MessageList out;
    for (auto& [subject, data] : *next) {
      auto m = std::make_unique<FakeMessage>(subject, data);
      handed_out.push_back(m.get());
      out.push_back(std::move(m));
    }
    return out;
  }

  int fetch_calls = 0;
  int last_max = 0;
  std::vector<FakeMessage*> handed_out;  // valid while the fetched list lives

 private:
  std::deque<std::optional<std::vector<std::pair<std::string, std::string>>>> script_;
};

}  // namespace vitals::test
