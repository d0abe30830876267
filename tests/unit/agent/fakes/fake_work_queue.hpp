#pragma once
// WorkQueues for tests: InlineWorkQueue runs work and continuation at once; ManualWorkQueue
// holds them until the test runs them (to look at "publish in progress" states).
#include <deque>
#include <utility>

#include "agent/runtime/work_queue.hpp"

namespace vitals::agent::test {

class InlineWorkQueue final : public WorkQueue {
 public:
  void run(std::function<void()> work, std::function<void()> then) override {
    ++submitted_;
    work();
    then();
  }
  int submitted() const { return submitted_; }

 private:
  int submitted_ = 0;
};

class ManualWorkQueue final : public WorkQueue {
 public:
  void run(std::function<void()> work, std::function<void()> then) override {
    items_.emplace_back(std::move(work), std::move(then));
  }
  std::size_t pending() const { return items_.size(); }
  // Runs the oldest item (work, then continuation). Returns false when there is none.
  bool runOne() {
    if (items_.empty()) {
      return false;
    }
    auto item = std::move(items_.front());
    items_.pop_front();
    item.first();
    item.second();
    return true;
  }
  void runAll() {
    while (runOne()) {
    }
  }

 private:
  std::deque<std::pair<std::function<void()>, std::function<void()>>> items_;
};

}  // namespace vitals::agent::test
