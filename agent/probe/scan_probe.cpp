#include "agent/probe/scan_probe.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "agent/probe/blocking_probe.hpp"
#include "common/time/duration_format.hpp"

namespace vitals::agent {
namespace {

using nlohmann::json;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

Error reportError(std::string message) { return Error{"scan.report", std::move(message), {}}; }

// The keys of a Trivy report we read; every other key (descriptions, references, CVSS, layers:
// most of a report's bytes) is dropped by the parser before it builds a value.
const std::set<std::string, std::less<>>& keptKeys() {
  static const std::set<std::string, std::less<>> kKeys = {
      "SchemaVersion",    "ArtifactName",    "Results", "Target",
      "Vulnerabilities",  "VulnerabilityID", "PkgName", "Severity",
      "InstalledVersion", "FixedVersion",    "Title"};
  return kKeys;
}

// A string field of a finding: absent or null reads as "", another type is an error.
bool stringField(const json& obj, const char* key, std::string& out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    out.clear();
    return true;
  }
  if (!it->is_string()) {
    return false;
  }
  out = it->get<std::string>();
  return true;
}

// The first line of what a process printed, for messages: at most 200 bytes.
std::string firstLine(const std::string& text) {
  const auto start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) {
    return "";
  }
  std::string line = text.substr(start, text.find('\n', start) - start);
  if (line.size() > 200) {
    line.resize(200);
    line += "...";
  }
  return line;
}

ProbeOutcome scanFailed(const ProcessResult& r, std::string message) {
  ProbeOutcome o = ProbeOutcome::down(FailureKind::Error, r.duration, std::move(message));
  if (r.started && !r.timed_out && r.signal == 0) {
    o.details["exit_code"] = std::to_string(r.exit_code);
  }
  if (!r.error_output.empty()) {
    o.details["stderr"] = r.error_output;
  }
  return o;
}

}  // namespace

Result<ScanReport> parseTrivyReport(std::string_view text) {
  const auto keep = [](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth > 0) {
      return keptKeys().count(parsed.get_ref<const std::string&>()) != 0;
    }
    return true;
  };
  json doc = json::parse(text.begin(), text.end(), keep, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return reportError("not a JSON document" +
                       (text.empty() ? std::string(" (the scanner printed nothing)") : ""));
  }
  if (!doc.is_object()) {
    return reportError("a Trivy report is a JSON object, got " + std::string(doc.type_name()));
  }
  auto version = doc.find("SchemaVersion");
  if (version == doc.end() || !version->is_number_integer()) {
    return reportError(
        "SchemaVersion is missing (is this a Trivy JSON report? run trivy with "
        "--format json)");
  }
  if (version->get<std::int64_t>() != 2) {
    return reportError("unsupported Trivy SchemaVersion " + version->dump() + " (expected 2)");
  }
  ScanReport report;
  report.scanner = "trivy";
  if (auto name = doc.find("ArtifactName"); name != doc.end() && name->is_string()) {
    report.artifact = name->get<std::string>();
  }
  auto results = doc.find("Results");
  if (results == doc.end() || results->is_null()) {
    return report;  // nothing scanned had anything to report
  }
  if (!results->is_array()) {
    return reportError("Results must be an array, got " + std::string(results->type_name()));
  }
  for (std::size_t i = 0; i < results->size(); ++i) {
    const json& res = (*results)[i];
    const std::string where = "Results[" + std::to_string(i) + "]";
    if (!res.is_object()) {
      return reportError(where + " must be an object");
    }
    std::string target;
    if (!stringField(res, "Target", target)) {
      return reportError(where + ".Target must be a string");
    }
    auto vulns = res.find("Vulnerabilities");
    if (vulns == res.end() || vulns->is_null()) {
      continue;
    }
    if (!vulns->is_array()) {
      return reportError(where + ".Vulnerabilities must be an array");
    }
    for (std::size_t k = 0; k < vulns->size(); ++k) {
      const json& v = (*vulns)[k];
      const std::string at = where + ".Vulnerabilities[" + std::to_string(k) + "]";
      if (!v.is_object()) {
        return reportError(at + " must be an object");
      }
      ScanFinding f;
      f.target = target;
      if (!stringField(v, "VulnerabilityID", f.vulnerability_id) || f.vulnerability_id.empty()) {
        return reportError(at + ".VulnerabilityID is missing or not a string");
      }
      std::string severity;
      if (!stringField(v, "PkgName", f.package) ||
          !stringField(v, "InstalledVersion", f.installed_version) ||
          !stringField(v, "FixedVersion", f.fixed_version) || !stringField(v, "Title", f.title) ||
          !stringField(v, "Severity", severity)) {
        return reportError(at +
                           ": PkgName, InstalledVersion, FixedVersion, Title and Severity "
                           "must be strings");
      }
      // Trivy writes UNKNOWN when no source rated it; anything else unexpected reads the same.
      f.severity = parseSeverity(severity).value_or(Severity::Unknown);
      report.counts[static_cast<std::size_t>(f.severity)] += 1;
      report.findings.push_back(std::move(f));
    }
  }
  capFindings(report);
  return report;
}

ProbeOutcome evaluateScan(const ScanReport& report, const ScanCheckSpec& spec) {
  ProbeOutcome o;
  static constexpr Severity kOrder[] = {Severity::Critical, Severity::High, Severity::Medium,
                                        Severity::Low, Severity::Unknown};
  std::string counts;
  for (Severity s : kOrder) {
    o.details[std::string(toString(s))] = std::to_string(report.count(s));
    if (report.count(s) > 0) {
      counts += (counts.empty() ? "" : ", ") + std::to_string(report.count(s)) + " " +
                std::string(toString(s));
    }
  }
  o.details["scanner"] = report.scanner;
  if (!report.artifact.empty()) {
    o.details["artifact"] = report.artifact;
  }
  if (report.truncated) {
    o.details["findings_truncated"] =
        std::to_string(report.findings.size()) + " of " + std::to_string(report.total()) + " sent";
  }
  const auto atOrAbove = [&](Severity threshold) {
    std::uint32_t n = 0;
    for (int s = static_cast<int>(threshold); s <= static_cast<int>(Severity::Critical); ++s) {
      n += report.counts[static_cast<std::size_t>(s)];
    }
    return n;
  };
  const std::string found = counts.empty() ? "no vulnerabilities" : counts + " vulnerabilities";
  if (spec.fail_on && atOrAbove(*spec.fail_on) > 0) {
    o.raw_status = HealthStatus::Down;
    o.failure_kind = FailureKind::Unexpected;
    o.message = found + " (fail_on " + std::string(toString(*spec.fail_on)) + ")";
  } else if (spec.warn_on && atOrAbove(*spec.warn_on) > 0) {
    o.raw_status = HealthStatus::Degraded;
    o.message = found + " (warn_on " + std::string(toString(*spec.warn_on)) + ")";
  } else {
    o.raw_status = HealthStatus::Healthy;
    o.message = found;
  }
  return o;
}

ProbeOutcome evaluateScanProcess(const ProcessResult& r, const ScanCheckSpec& spec) {
  if (!r.started) {
    return scanFailed(r, "scanner did not start: " + r.start_error);
  }
  if (r.timed_out) {
    ProbeOutcome o = scanFailed(r, "scanner timed out after " +
                                       formatDuration(duration_cast<milliseconds>(r.duration)) +
                                       " (process group killed)");
    o.failure_kind = FailureKind::Timeout;
    return o;
  }
  if (r.signal != 0) {
    ProbeOutcome o = scanFailed(r, "scanner killed by signal " + std::to_string(r.signal));
    o.failure_kind = FailureKind::Crashed;
    return o;
  }
  if (std::find(spec.exit_codes.begin(), spec.exit_codes.end(), r.exit_code) ==
      spec.exit_codes.end()) {
    const std::string why = firstLine(r.error_output.empty() ? r.output : r.error_output);
    return scanFailed(r, "scanner exited with code " + std::to_string(r.exit_code) +
                             (why.empty() ? "" : ": " + why));
  }
  if (r.truncated) {
    return scanFailed(r, "scanner printed more than " + std::to_string(spec.max_output) +
                             " bytes (max_output); report not read");
  }
  auto report = parseTrivyReport(r.output);
  if (!report) {
    const std::string head = firstLine(r.output);
    return scanFailed(r, "unreadable " + spec.format + " report: " + report.error().message +
                             (head.empty() || report.error().message.rfind("not a JSON", 0) != 0
                                  ? ""
                                  : " (starts with: " + head.substr(0, 80) + ")"));
  }
  ProbeOutcome o = evaluateScan(*report, spec);
  o.latency = r.duration;
  o.scan = std::make_shared<const ScanReport>(std::move(*report));
  return o;
}

std::unique_ptr<Probe> makeScanProbe(ScanCheckSpec spec, Clock& clock, WorkQueue& queue) {
  ProcessRequest req;
  req.argv = spec.argv;
  req.env = spec.env;
  req.working_dir = spec.working_dir;
  req.max_output = spec.max_output;
  req.separate_stderr = true;  // stdout is the report; scanners log progress on stderr
  req.max_error_output = 2048;
  std::string target;
  for (const auto& a : spec.argv) {
    target += (target.empty() ? "" : " ") + a;
  }
  return std::make_unique<BlockingProbe>(
      "scan", target,
      [req = std::move(req), spec = std::move(spec), &clock](milliseconds timeout) {
        return evaluateScanProcess(runProcess(req, clock, timeout), spec);
      },
      queue);
}

}  // namespace vitals::agent
