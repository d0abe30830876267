#pragma once
// Runs the checklist and keeps the platform-wide `ready` flag: ready = every required check
// passed or has an active admin override. Optional checks only show. The flag is handed to the
// publisher (hub.<hub_id>.ready) whenever it changes and, through publishCurrent(), periodically.
//
// Thread-safe: run()/evaluate() are serialised; report() may be called from any thread.
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/metrics/metrics.hpp"
#include "common/time/clock.hpp"
#include "hub/preflight/check.hpp"
#include "hub/preflight/override_store.hpp"

namespace vitals::hub::preflight {

struct CheckReport {
  std::string name;
  std::string kind;
  bool required = true;
  bool ran = false;  // false until the first run
  bool passed = false;
  std::string error;
  std::string detail;
  bool overridden = false;  // failed, but an active override covers it
  std::optional<Override> override_info;
  std::optional<SystemTime> checked_at;
  std::chrono::milliseconds duration{0};
};

struct PreflightReport {
  bool ready = false;
  std::optional<SystemTime> last_run;  // none before the first run
  SystemTime evaluated_at{};
  std::vector<CheckReport> checks;  // in configured order
  std::string overrides_error;      // overrides could not be read: none applied
};

// Decides `ready` from check results and the active overrides (pure; overrides of checks that
// passed or are not failing change nothing). Sets `overridden` on the reports.
bool decideReady(std::vector<CheckReport>& checks, const std::vector<Override>& overrides);

using ReadyPublisher = std::function<void(const PreflightReport&)>;

class PreflightRunner {
 public:
  PreflightRunner(const Clock& clock, OverrideStore& overrides, metrics::Registry& metrics,
                  ReadyPublisher publish);
  PreflightRunner(const PreflightRunner&) = delete;
  PreflightRunner& operator=(const PreflightRunner&) = delete;

  // Before the first run. The runner owns the check.
  void add(std::string name, std::string kind, bool required,
           std::unique_ptr<PreflightCheck> check);
  bool has(const std::string& name) const;

  // Runs every check, then evaluates. Publishes when `ready` changed (or never was published).
  PreflightReport run(const RunContext& ctx);
  // Runs only the checks that follow the hub's live state (service_status), then evaluates when
  // one of them changed its verdict. Does nothing before the first full run.
  void runLive();
  // Re-reads the overrides and re-decides `ready` from the last results (after an override was
  // created or revoked, and when one may have expired). Publishes when `ready` changed.
  PreflightReport evaluate();
  // The last evaluated report.
  PreflightReport report() const;
  // Publishes the current report as is (the periodic repeat for late subscribers).
  void publishCurrent();

 private:
  struct Entry {
    std::string name;
    std::string kind;
    bool required;
    std::unique_ptr<PreflightCheck> check;
    CheckReport last;
  };
  PreflightReport evaluateLocked();  // run_mu_ held
  // Runs one check and records its outcome; true when its verdict changed. run_mu_ held.
  bool runEntry(Entry& e, const RunContext& ctx);

  const Clock& clock_;
  OverrideStore& overrides_;
  metrics::Registry& metrics_;
  ReadyPublisher publish_;
  std::mutex run_mu_;  // serialises runs and evaluations
  std::vector<Entry> entries_;
  std::optional<SystemTime> last_run_;
  std::optional<bool> published_ready_;
  mutable std::mutex report_mu_;
  PreflightReport report_;
  metrics::Gauge& ready_gauge_;
  metrics::Counter& runs_;
};

}  // namespace vitals::hub::preflight
