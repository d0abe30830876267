#pragma once
// Fakes for the pre-flight checklist: a scripted check and an in-memory override store.
#include <algorithm>
#include <mutex>
#include <stdexcept>

#include "hub/preflight/check.hpp"
#include "hub/preflight/override_store.hpp"

namespace vitals::test {

class FakeCheck final : public hub::preflight::PreflightCheck {
 public:
  explicit FakeCheck(bool passed, std::string error = "broken")
      : passed(passed), error(std::move(error)) {}
  hub::preflight::CheckOutcome run(const hub::preflight::RunContext& ctx) override {
    ++runs;
    last_forced = ctx.forced;
    if (throws) {
      throw std::runtime_error("boom");
    }
    return passed ? hub::preflight::CheckOutcome::pass("fine")
                  : hub::preflight::CheckOutcome::fail(error);
  }
  bool followsLiveState() const override { return live; }
  bool passed;
  std::string error;
  bool live = false;  // behaves as a service_status check
  bool throws = false;
  int runs = 0;
  bool last_forced = false;
};

class FakeOverrideStore final : public hub::preflight::OverrideStore {
 public:
  Result<hub::preflight::Override> create(const hub::preflight::NewOverride& o,
                                          SystemTime now) override {
    if (unavailable) {
      return Error{"db.unavailable", "connection refused", {}};
    }
    hub::preflight::Override x;
    x.id = ++next_id;
    x.check = o.check;
    x.reason = o.reason;
    x.created_by = o.actor;
    x.created_at = now;
    x.expires_at = o.expires_at;
    rows.push_back(x);
    audit.push_back(o.actor + " preflight.override.create " + o.check);
    return x;
  }
  Result<std::vector<hub::preflight::Override>> active(SystemTime now) override {
    if (unavailable) {
      return Error{"db.unavailable", "connection refused", {}};
    }
    std::vector<hub::preflight::Override> out;
    for (const auto& r : rows) {
      if (r.expires_at > now) {
        out.push_back(r);
      }
    }
    return out;
  }
  Result<bool> revoke(std::int64_t id, const std::string& actor, SystemTime now) override {
    if (unavailable) {
      return Error{"db.unavailable", "connection refused", {}};
    }
    auto it = std::find_if(rows.begin(), rows.end(),
                           [&](const auto& r) { return r.id == id && r.expires_at > now; });
    if (it == rows.end()) {
      return false;
    }
    audit.push_back(actor + " preflight.override.delete " + it->check);
    rows.erase(it);
    return true;
  }
  Status auditRun(const std::string& actor, bool ready, SystemTime) override {
    audit.push_back(actor + " preflight.run " + (ready ? "ready" : "not-ready"));
    return okStatus();
  }
  std::vector<hub::preflight::Override> rows;
  std::vector<std::string> audit;
  std::int64_t next_id = 0;
  bool unavailable = false;
};

}  // namespace vitals::test
