#pragma once
// Domain values shared by agent and hub. Converted to and from protobuf only in codec.cpp.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/model/scan_report.hpp"
#include "common/model/status.hpp"
#include "common/time/clock.hpp"

namespace vitals {

struct CheckResult {
  std::string agent_id;
  std::string boot_id;
  std::uint64_t seq = 0;
  std::string service;
  std::string check;
  std::string kind;
  HealthStatus status = HealthStatus::Unknown;      // after the state machine
  HealthStatus raw_status = HealthStatus::Unknown;  // what this run saw
  std::chrono::microseconds latency{0};
  std::string message;
  std::map<std::string, std::string> details;
  SystemTime observed_at{};
  FailureKind failure_kind = FailureKind::None;
  std::uint32_t attempt = 1;
  std::uint32_t consecutive_failures = 0;
  bool flapping = false;
  // kind "scan": the findings of this run (shared, never modified: results are copied often).
  std::shared_ptr<const ScanReport> scan;
};

struct ResultBatch {
  std::string agent_id;
  std::string boot_id;
  std::vector<CheckResult> results;  // contiguous seqs, ascending
};

struct CheckSpec {
  std::string name;
  std::string service;
  std::string kind;
  std::string target;
  std::chrono::milliseconds interval{0};
  std::chrono::milliseconds timeout{0};
  std::uint32_t retries = 0;
  std::chrono::milliseconds degraded_latency{0};
};

// A named action an agent offers (name, parameters, limits; never its command line).
struct ActionSpec {
  struct Param {
    std::string name;
    std::string pattern;
    bool operator==(const Param&) const = default;
  };
  std::string name;
  std::vector<Param> params;
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds cooldown{0};
  std::uint32_t max_concurrent = 0;
  bool operator==(const ActionSpec&) const = default;
};

struct Registration {
  std::string agent_id;
  std::string boot_id;
  std::string hostname;
  std::string version;
  std::vector<CheckSpec> checks;
  std::vector<std::string> actions;
  std::vector<ActionSpec> action_specs;  // the same actions with parameters (newer agents)
  SystemTime sent_at{};
  std::string config_hash;
  std::map<std::string, std::string> labels;
};

struct Heartbeat {
  std::string agent_id;
  std::string boot_id;
  std::string version;
  std::uint32_t check_count = 0;
  SystemTime sent_at{};
  std::chrono::milliseconds interval{0};
  std::uint64_t last_seq = 0;
  std::uint64_t spooled = 0;
};

}  // namespace vitals
