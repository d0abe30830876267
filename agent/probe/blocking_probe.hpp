#pragma once
// A probe whose check is a blocking function (libpq, a unix-socket request, a child process,
// statvfs). Each run goes to the shared WorkQueue (a small worker pool: no thread per probe) and
// its outcome comes back on the loop thread.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "agent/probe/probe.hpp"
#include "agent/runtime/work_queue.hpp"

namespace vitals::agent {

class BlockingProbe final : public Probe {
 public:
  // Runs on a worker thread; must give up by itself near timeout. It may be called again while a
  // previous call (already timed out for the scheduler) is still running.
  using Check = std::function<ProbeOutcome(std::chrono::milliseconds timeout)>;

  // queue must outlive every run. check is shared with runs still in flight.
  BlockingProbe(std::string_view kind, std::string target, Check check, WorkQueue& queue)
      : kind_(kind),
        target_(std::move(target)),
        check_(std::make_shared<const Check>(std::move(check))),
        queue_(queue) {}

  std::string_view kind() const override { return kind_; }
  std::string target() const override { return target_; }
  void run(std::chrono::milliseconds timeout, Done done) override {
    runOffLoop<ProbeOutcome>(
        queue_, [check = check_, timeout] { return (*check)(timeout); }, std::move(done),
        [](const std::string& what) {
          return ProbeOutcome::down(FailureKind::Error, std::chrono::microseconds{0},
                                    "probe failed: " + what);
        });
  }

 private:
  std::string_view kind_;  // a literal from the registry
  std::string target_;
  std::shared_ptr<const Check> check_;
  WorkQueue& queue_;
};

}  // namespace vitals::agent
