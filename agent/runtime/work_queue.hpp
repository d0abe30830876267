#pragma once
// Seam between the event loop and blocking work (HTTP probes, JetStream publishes): the loop
// thread hands work to a queue, the queue runs it elsewhere and runs the continuation back on
// the loop thread. Tests use a queue that runs both inline or on demand.
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace vitals::agent {

class WorkQueue {
 public:
  virtual ~WorkQueue() = default;
  // Runs work() off the loop thread, then then() on the loop thread. Both run exactly once
  // unless the queue is shut down first. Called from the loop thread.
  virtual void run(std::function<void()> work, std::function<void()> then) = 0;
};

// Typed helper: work() produces a T off the loop; done(T) receives it on the loop. An exception
// thrown by work() becomes on_exception(what) so nothing escapes onto a worker thread.
template <typename T>
void runOffLoop(WorkQueue& queue, std::function<T()> work, std::function<void(T)> done,
                std::function<T(const std::string&)> on_exception) {
  struct Slot {
    std::optional<T> value;
    std::string error;
  };
  auto slot = std::make_shared<Slot>();
  queue.run(
      [slot, work = std::move(work)] {
        try {
          slot->value.emplace(work());
        } catch (const std::exception& e) {
          slot->error = e.what();
        } catch (...) {
          slot->error = "unknown exception";
        }
      },
      [slot, done = std::move(done), on_exception = std::move(on_exception)] {
        if (slot->value) {
          done(std::move(*slot->value));
        } else {
          done(on_exception(slot->error));
        }
      });
}

}  // namespace vitals::agent
