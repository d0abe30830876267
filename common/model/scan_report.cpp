#include "common/model/scan_report.hpp"

#include <algorithm>
#include <cctype>

namespace vitals {

std::optional<Severity> parseSeverity(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (lower == "critical") return Severity::Critical;
  if (lower == "high") return Severity::High;
  if (lower == "medium") return Severity::Medium;
  if (lower == "low") return Severity::Low;
  if (lower == "unknown") return Severity::Unknown;
  return std::nullopt;
}

std::uint32_t ScanReport::total() const {
  std::uint32_t n = 0;
  for (auto c : counts) {
    n += c;
  }
  return n;
}

std::optional<Severity> ScanReport::worst() const {
  for (int s = static_cast<int>(Severity::Critical); s >= 0; --s) {
    if (counts[static_cast<std::size_t>(s)] > 0) {
      return static_cast<Severity>(s);
    }
  }
  return std::nullopt;
}

namespace {

// Cuts s to at most max bytes without splitting a UTF-8 sequence.
void cutUtf8(std::string& s, std::size_t max) {
  if (s.size() <= max) {
    return;
  }
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) {
    --n;
  }
  s.resize(n);
}

// Roughly what a finding costs on the wire: its strings plus field tags and lengths.
std::size_t encodedSize(const ScanFinding& f) {
  return f.target.size() + f.vulnerability_id.size() + f.package.size() +
         f.installed_version.size() + f.fixed_version.size() + f.title.size() + 8 + 24;
}

}  // namespace

void capFindings(ScanReport& report) {
  std::stable_sort(
      report.findings.begin(), report.findings.end(),
      [](const ScanFinding& a, const ScanFinding& b) { return a.severity > b.severity; });
  std::size_t bytes = 0;
  std::size_t keep = 0;
  for (auto& f : report.findings) {
    if (keep == ScanReport::kMaxFindings) {
      break;
    }
    cutUtf8(f.title, ScanReport::kMaxTitle);
    const std::size_t size = encodedSize(f);
    if (bytes + size > ScanReport::kMaxFindingBytes) {
      break;
    }
    bytes += size;
    ++keep;
  }
  if (keep < report.findings.size()) {
    report.findings.resize(keep);
    report.truncated = true;
  }
}

}  // namespace vitals
