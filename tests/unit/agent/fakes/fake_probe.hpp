#pragma once
// A probe whose runs finish only when the test says so.
#include <deque>
#include <string>
#include <utility>

#include "agent/probe/probe.hpp"

namespace vitals::agent::test {

class FakeProbe final : public Probe {
 public:
  std::string_view kind() const override { return "fake"; }
  std::string target() const override { return "fake://target"; }
  void run(std::chrono::milliseconds timeout, Done done) override {
    ++runs_;
    last_timeout_ = timeout;
    pending_.push_back(std::move(done));
  }

  int runs() const { return runs_; }
  std::size_t pendingCount() const { return pending_.size(); }
  std::chrono::milliseconds lastTimeout() const { return last_timeout_; }
  // Finishes the oldest pending run with outcome.
  void complete(ProbeOutcome outcome) {
    auto done = std::move(pending_.front());
    pending_.pop_front();
    done(std::move(outcome));
  }
  void succeed(std::chrono::microseconds latency = std::chrono::milliseconds{5}) {
    complete(ProbeOutcome::healthy(latency, "ok"));
  }
  void fail(FailureKind kind = FailureKind::Refused) {
    complete(ProbeOutcome::down(kind, std::chrono::milliseconds{1}, "connection refused"));
  }

 private:
  int runs_ = 0;
  std::chrono::milliseconds last_timeout_{0};
  std::deque<Done> pending_;
};

// Answers every run at once (still asynchronously from the scheduler's point of view it is
// inline, which the scheduler must tolerate).
class ScriptedProbe final : public Probe {
 public:
  explicit ScriptedProbe(std::function<ProbeOutcome(int run)> script)
      : script_(std::move(script)) {}
  std::string_view kind() const override { return "scripted"; }
  std::string target() const override { return "scripted://"; }
  void run(std::chrono::milliseconds, Done done) override { done(script_(++runs_)); }
  int runs() const { return runs_; }

 private:
  std::function<ProbeOutcome(int)> script_;
  int runs_ = 0;
};

}  // namespace vitals::agent::test
