#pragma once
// scan: runs a security scanner (argv, no shell, own process group, timeout) and reads the JSON
// report it prints on stdout. The findings travel with the result (CheckResult::scan); the status
// comes from the fail_on / warn_on thresholds. A scanner that cannot run, exits with an
// unexpected code, prints something that is not a report, prints more than max_output or hangs
// is a DOWN run (failure kind error or timeout) whose message says why.
#include <memory>
#include <string_view>

#include "agent/config/kind_specs.hpp"
#include "agent/probe/probe.hpp"
#include "agent/runtime/process_runner.hpp"
#include "agent/runtime/work_queue.hpp"
#include "common/error/result.hpp"
#include "common/model/scan_report.hpp"
#include "common/time/clock.hpp"

namespace vitals::agent {

// Pure: a Trivy JSON report (SchemaVersion 2) as a ScanReport, already capped (capFindings).
// Reads Results[].Target and Results[].Vulnerabilities[] (VulnerabilityID, PkgName,
// InstalledVersion, FixedVersion, Severity, Title); other keys are skipped while parsing, so
// memory follows the kept fields, not the input. Errors ("scan.report") say what is wrong where.
Result<ScanReport> parseTrivyReport(std::string_view json);

// Pure: the status of a report: DOWN when any finding is at or above fail_on, DEGRADED at or
// above warn_on, else HEALTHY. The message counts findings per severity; details carry the counts.
ProbeOutcome evaluateScan(const ScanReport& report, const ScanCheckSpec& spec);

// Pure: a finished scanner process as an outcome (the above, or why there is no report).
ProbeOutcome evaluateScanProcess(const ProcessResult& result, const ScanCheckSpec& spec);

std::unique_ptr<Probe> makeScanProbe(ScanCheckSpec spec, Clock& clock, WorkQueue& queue);

}  // namespace vitals::agent
