#pragma once
// What one security scan found (kind "scan"): the findings travel with the check's result to the
// hub (proto ScanReport). Shared by agent and hub; converted to protobuf only in codec.cpp.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vitals {

// Ordered: a higher value is more severe.
enum class Severity { Unknown = 0, Low = 1, Medium = 2, High = 3, Critical = 4 };

constexpr std::string_view toString(Severity s) {
  switch (s) {
    case Severity::Critical:
      return "critical";
    case Severity::High:
      return "high";
    case Severity::Medium:
      return "medium";
    case Severity::Low:
      return "low";
    case Severity::Unknown:
      break;
  }
  return "unknown";
}

// Case-insensitive: Trivy writes "CRITICAL"; our config and API write "critical".
std::optional<Severity> parseSeverity(std::string_view text);

struct ScanFinding {
  std::string target;
  std::string vulnerability_id;
  std::string package;
  std::string installed_version;
  std::string fixed_version;
  Severity severity = Severity::Unknown;
  std::string title;
};

struct ScanReport {
  // Limits of one report (docs/protocol.md): the agent keeps at most this many findings, most
  // severe first, and stops adding findings once their encoded size passes kMaxFindingBytes, so a
  // result batch stays well under NATS' default 1 MiB payload. Titles are cut to kMaxTitle bytes.
  static constexpr std::size_t kMaxFindings = 5000;
  static constexpr std::size_t kMaxFindingBytes = 512 * 1024;
  static constexpr std::size_t kMaxTitle = 256;

  std::string scanner;   // "trivy"
  std::string artifact;  // what the scanner says it scanned (Trivy's ArtifactName)
  // Counts per severity over every finding the scanner printed, Severity order.
  std::array<std::uint32_t, 5> counts{};
  std::vector<ScanFinding> findings;
  bool truncated = false;  // findings holds fewer than the counts add up to

  std::uint32_t count(Severity s) const { return counts[static_cast<std::size_t>(s)]; }
  std::uint32_t total() const;
  // The most severe severity with a finding, or nullopt when there is none.
  std::optional<Severity> worst() const;
};

// Sorts findings most severe first (stable), then applies the limits above: drops findings
// past kMaxFindings or past kMaxFindingBytes (setting truncated) and cuts titles. Counts are
// left as they are (they describe everything the scanner printed).
void capFindings(ScanReport& report);

}  // namespace vitals
