#pragma once
// log: tails a file across runs (remembers the open file and its offset, follows a rotation by
// rename and a truncation), counts lines per level and per configured pattern in each interval,
// keeps the most repeated messages (digits normalised), and judges per-minute rates.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/config/kind_specs.hpp"
#include "agent/probe/probe.hpp"
#include "agent/runtime/work_queue.hpp"
#include "common/time/clock.hpp"

namespace vitals::agent {

// Counts for one interval. Pure: feed lines, read counts.
class LogCounter {
 public:
  // Compiles the spec's regexes (validated at load).
  explicit LogCounter(const LogCheckSpec& spec);
  void addLine(std::string_view line);
  // Counts by level and pattern name (every configured name present, 0 when not seen).
  const std::map<std::string, std::uint64_t>& counts() const { return counts_; }
  std::uint64_t lines() const { return lines_; }
  // The n most repeated normalised messages, most frequent first (ties: alphabetical).
  std::vector<std::pair<std::string, std::uint64_t>> top(std::size_t n) const;
  void reset();

 private:
  struct Named {
    std::string name;
    std::regex re;
  };
  std::vector<Named> levels_;
  std::vector<Named> patterns_;
  std::map<std::string, std::uint64_t> counts_;
  std::unordered_map<std::string, std::uint64_t> messages_;
  std::uint64_t lines_ = 0;
};

// Pure: a line with every run of digits replaced by '#', cut to 200 bytes.
std::string normaliseMessage(std::string_view line);

// Pure: judges counts over `minutes` against the spec's per-minute thresholds; fills details
// (count.<name>, top.<i>, lines).
ProbeOutcome evaluateLogCounts(const LogCheckSpec& spec, const LogCounter& counter,
                               double minutes);

std::unique_ptr<Probe> makeLogProbe(LogCheckSpec spec, Clock& clock, WorkQueue& queue);

}  // namespace vitals::agent
