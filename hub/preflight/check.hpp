#pragma once
// One pre-flight check: an object behind this interface, so the runner is tested with fakes.
#include <string>

namespace vitals::hub::preflight {

struct CheckOutcome {
  bool passed = false;
  std::string error;   // why it failed (empty when passed)
  std::string detail;  // what was seen, for people ("3 of 2 agents online")

  static CheckOutcome pass(std::string detail = {}) { return {true, {}, std::move(detail)}; }
  static CheckOutcome fail(std::string error, std::string detail = {}) {
    return {false, std::move(error), std::move(detail)};
  }
};

struct RunContext {
  // At start and on POST /api/v1/preflight/run: checks that cache costly results (a test
  // notification) do the work again.
  bool forced = false;
};

// run() may block (network, database) for about its own timeout; it is called from one thread
// at a time (the runner serialises runs) and never throws.
class PreflightCheck {
 public:
  virtual ~PreflightCheck() = default;
  virtual CheckOutcome run(const RunContext& ctx) = 0;
  // True for checks that only read the hub's in-memory state (cheap, no I/O): the scheduler
  // re-runs them every `watch_interval` so `ready` follows status changes within it.
  virtual bool followsLiveState() const { return false; }
};

}  // namespace vitals::hub::preflight
