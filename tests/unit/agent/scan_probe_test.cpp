// kind scan: the Trivy report parser, the thresholds, the process outcomes and the config reader
// (fixture strings; no processes or sleeping).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "agent/config/config_loader.hpp"
#include "agent/probe/scan_probe.hpp"

using namespace vitals;
using namespace vitals::agent;
using namespace std::chrono_literals;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(VITALS_SOURCE_DIR) + "/tests/fixtures/scans/" + name);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string vuln(const std::string& id, const std::string& severity) {
  return R"({"VulnerabilityID": ")" + id + R"(", "PkgName": "p", "InstalledVersion": "1",
             "Severity": ")" +
         severity + R"(", "Title": "t"})";
}

std::string report(const std::string& vulns) {
  return R"({"SchemaVersion": 2, "ArtifactName": "img", "Results": [{"Target": "t",
             "Vulnerabilities": [)" +
         vulns + "]}]}";
}

ScanReport parsed(const std::string& json) {
  auto r = parseTrivyReport(json);
  INFO((r.ok() ? std::string() : r.error().message));
  REQUIRE(r.ok());
  return *r;
}

std::string parseError(const std::string& json) {
  auto r = parseTrivyReport(json);
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

ProcessResult exited(int code, std::string out, std::string err = "") {
  ProcessResult p;
  p.started = true;
  p.exit_code = code;
  p.output = std::move(out);
  p.error_output = std::move(err);
  p.duration = 1500ms;
  return p;
}

struct Loaded {
  std::optional<AgentConfig> config;
  config::Problems problems;
};

Loaded load(const std::string& yaml) {
  LoadOptions o;
  o.hostname = "h";
  Loaded out;
  out.config = parseAgentConfig(yaml, "agent.yaml", o, out.problems);
  return out;
}

}  // namespace

TEST_CASE("a Trivy report's findings, targets and counts are read and other keys are skipped",
          "[agent][unit][scan]") {
  const ScanReport r = parsed(fixture("trivy_two.json"));
  CHECK(r.scanner == "trivy");
  CHECK(r.artifact == "registry.local/web:1.4");
  CHECK(r.count(Severity::Critical) == 1);
  CHECK(r.count(Severity::High) == 1);
  CHECK(r.count(Severity::Medium) == 1);
  CHECK(r.count(Severity::Low) == 0);
  CHECK_FALSE(r.truncated);
  REQUIRE(r.findings.size() == 3);
  const ScanFinding& crit = r.findings[0];
  CHECK(crit.vulnerability_id == "CVE-2024-0001");
  CHECK(crit.package == "openssl");
  CHECK(crit.installed_version == "3.0.11-1");
  CHECK(crit.fixed_version == "3.0.13-1");
  CHECK(crit.severity == Severity::Critical);
  CHECK(crit.title == "openssl: a critical flaw");
  CHECK(crit.target == "registry.local/web:1.4 (debian 12.5)");
  CHECK(r.findings[1].fixed_version.empty());  // no FixedVersion: no fix published
  CHECK(r.findings[2].target == "app/package-lock.json");
}

TEST_CASE("a report without Results, or with null vulnerabilities, has no findings",
          "[agent][unit][scan]") {
  CHECK(parsed(R"({"SchemaVersion": 2, "ArtifactName": "x"})").total() == 0);
  CHECK(parsed(R"({"SchemaVersion": 2, "Results": null})").total() == 0);
  CHECK(parsed(R"({"SchemaVersion": 2, "Results": [{"Target": "a", "Vulnerabilities": null}]})")
            .findings.empty());
}

TEST_CASE("an unrated or unexpected severity counts as unknown", "[agent][unit][scan]") {
  const ScanReport r = parsed(report(vuln("A", "UNKNOWN") + "," + vuln("B", "SEVERE")));
  CHECK(r.count(Severity::Unknown) == 2);
}

TEST_CASE("what is not a Trivy SchemaVersion 2 report is refused with the reason",
          "[agent][unit][scan]") {
  CHECK_THAT(parseError(""), Catch::Contains("printed nothing"));
  CHECK_THAT(parseError("Trivy version 0.50.1"), Catch::Contains("not a JSON document"));
  CHECK_THAT(parseError("{\"SchemaVersion\": 2, \"Results\": ["),
             Catch::Contains("not a JSON document"));
  CHECK_THAT(parseError("[1, 2]"), Catch::Contains("JSON object, got array"));
  CHECK_THAT(parseError("{\"Results\": []}"), Catch::Contains("SchemaVersion is missing"));
  CHECK_THAT(parseError("{\"SchemaVersion\": 1, \"Results\": []}"),
             Catch::Contains("unsupported Trivy SchemaVersion 1 (expected 2)"));
  CHECK_THAT(parseError("{\"SchemaVersion\": 2, \"Results\": {}}"),
             Catch::Contains("Results must be an array"));
  CHECK_THAT(parseError("{\"SchemaVersion\": 2, \"Results\": [{\"Target\": 3}]}"),
             Catch::Contains("Results[0].Target must be a string"));
  CHECK_THAT(parseError(R"({"SchemaVersion": 2, "Results": [{"Target": "a",
                            "Vulnerabilities": [{"PkgName": "x"}]}]})"),
             Catch::Contains("Results[0].Vulnerabilities[0].VulnerabilityID is missing"));
  CHECK_THAT(parseError(R"({"SchemaVersion": 2, "Results": [{"Target": "a",
                            "Vulnerabilities": [{"VulnerabilityID": "C", "Severity": 4}]}]})"),
             Catch::Contains("must be strings"));
}

TEST_CASE("a report past 5,000 findings keeps the most severe and says it was cut",
          "[agent][unit][scan]") {
  std::string vulns;
  for (int i = 0; i < 6000; ++i) {
    vulns += (i == 0 ? "" : ",") + vuln("L-" + std::to_string(i), "LOW");
  }
  vulns += "," + vuln("C-1", "CRITICAL");
  const ScanReport r = parsed(report(vulns));
  CHECK(r.findings.size() == ScanReport::kMaxFindings);
  CHECK(r.truncated);
  CHECK(r.count(Severity::Low) == 6000);  // counts cover everything the scanner printed
  CHECK(r.count(Severity::Critical) == 1);
  CHECK(r.findings.front().vulnerability_id == "C-1");
}

TEST_CASE("long titles are cut and the findings' bytes stay under the report limit",
          "[agent][unit][scan]") {
  ScanReport r;
  for (int i = 0; i < 4000; ++i) {
    ScanFinding f;
    f.vulnerability_id = "CVE-" + std::to_string(i);
    f.title = std::string(1000, 'x');
    f.target = std::string(300, 't');
    r.findings.push_back(f);
  }
  capFindings(r);
  CHECK(r.truncated);
  REQUIRE_FALSE(r.findings.empty());
  CHECK(r.findings[0].title.size() == ScanReport::kMaxTitle);
  std::size_t bytes = 0;
  for (const auto& f : r.findings) {
    bytes += f.target.size() + f.title.size() + f.vulnerability_id.size();
  }
  CHECK(bytes <= ScanReport::kMaxFindingBytes);
}

TEST_CASE("fail_on and warn_on turn findings into down, degraded or healthy",
          "[agent][unit][scan]") {
  ScanCheckSpec spec;  // fail_on critical, warn_on high
  ScanReport r;
  CHECK(evaluateScan(r, spec).raw_status == HealthStatus::Healthy);
  CHECK(evaluateScan(r, spec).message == "no vulnerabilities");

  r.counts[static_cast<std::size_t>(Severity::Medium)] = 4;
  CHECK(evaluateScan(r, spec).raw_status == HealthStatus::Healthy);

  r.counts[static_cast<std::size_t>(Severity::High)] = 2;
  auto o = evaluateScan(r, spec);
  CHECK(o.raw_status == HealthStatus::Degraded);
  CHECK(o.message == "2 high, 4 medium vulnerabilities (warn_on high)");

  r.counts[static_cast<std::size_t>(Severity::Critical)] = 1;
  o = evaluateScan(r, spec);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.failure_kind == FailureKind::Unexpected);
  CHECK(o.message == "1 critical, 2 high, 4 medium vulnerabilities (fail_on critical)");
  CHECK(o.details["critical"] == "1");
  CHECK(o.details["medium"] == "4");

  spec.fail_on.reset();  // fail_on: none
  CHECK(evaluateScan(r, spec).raw_status == HealthStatus::Degraded);
  spec.warn_on = Severity::Low;
  spec.fail_on = Severity::Medium;  // at or above: medium, high and critical all count
  r.counts = {};
  r.counts[static_cast<std::size_t>(Severity::High)] = 1;
  CHECK(evaluateScan(r, spec).raw_status == HealthStatus::Down);
}

TEST_CASE("a scanner that fails, prints too much or prints no report is down with the reason",
          "[agent][unit][scan]") {
  const ScanCheckSpec spec;
  auto o = evaluateScanProcess(exited(1, "", "FATAL: image not found\nmore"), spec);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.failure_kind == FailureKind::Error);
  CHECK(o.message == "scanner exited with code 1: FATAL: image not found");
  CHECK(o.details["exit_code"] == "1");
  CHECK_FALSE(o.scan);

  o = evaluateScanProcess(exited(0, "Downloading DB...\n"), spec);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK_THAT(o.message, Catch::StartsWith("unreadable trivy report: not a JSON document"));
  CHECK_THAT(o.message, Catch::Contains("starts with: Downloading DB..."));

  auto big = exited(0, std::string(100, '{'));
  big.truncated = true;
  o = evaluateScanProcess(big, spec);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK_THAT(o.message, Catch::Contains("more than 8388608 bytes (max_output)"));

  ProcessResult hung;
  hung.started = true;
  hung.timed_out = true;
  hung.duration = 2s;
  o = evaluateScanProcess(hung, spec);
  CHECK(o.failure_kind == FailureKind::Timeout);
  CHECK_THAT(o.message, Catch::Contains("timed out after 2s"));

  ProcessResult missing;
  missing.start_error = "cannot run trivy: No such file or directory";
  o = evaluateScanProcess(missing, spec);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.message == "scanner did not start: cannot run trivy: No such file or directory");
}

TEST_CASE("a report after an accepted exit code carries its findings with the outcome",
          "[agent][unit][scan]") {
  ScanCheckSpec spec;
  spec.exit_codes = {0, 1};  // trivy --exit-code 1: findings exit 1
  auto o = evaluateScanProcess(exited(1, fixture("trivy_two.json")), spec);
  CHECK(o.raw_status == HealthStatus::Down);
  CHECK(o.latency == 1500ms);
  REQUIRE(o.scan);
  CHECK(o.scan->findings.size() == 3);
}

TEST_CASE("kind scan reads its keys and defaults to a 6h interval and one retry",
          "[agent][unit][scan][config]") {
  auto l = load(R"(checks:
  - name: image
    service: web
    kind: scan
    argv: [trivy, image, --format, json, web:1]
    fail_on: high
    warn_on: medium
    exit_codes: [0, 1]
  - {name: quick, kind: scan, argv: [scan.sh], interval: 2m}
)");
  INFO(l.problems.format());
  REQUIRE(l.config);
  const auto& image = l.config->checks[0];
  CHECK(image.interval == 6h);
  CHECK(image.timeout == 10min);
  CHECK(image.retries == 1);
  CHECK(image.heavy);
  const auto& spec = std::get<ScanCheckSpec>(image.spec);
  CHECK(spec.fail_on == Severity::High);
  CHECK(spec.warn_on == Severity::Medium);
  CHECK(spec.exit_codes == std::vector<int>{0, 1});
  CHECK(spec.max_output == 8u << 20);
  CHECK(l.config->checks[1].interval == 2min);
  CHECK(l.config->checks[1].timeout == 1min);  // half the interval when under 20m
  CHECK(l.config->checks[1].target() == "scan.sh");
}

TEST_CASE("kind scan refuses a short interval and bad thresholds, naming file and line",
          "[agent][unit][scan][config]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{name: s, kind: scan, argv: [x], interval: 30s}",
       "agent.yaml:2: checks[0].interval: must be at least 1m for kind scan"},
      {"{name: s, kind: scan, argv: [x], fail_on: severe}",
       "agent.yaml:2: checks[0].fail_on: must be one of critical, high, medium, low, unknown or "
       "none"},
      {"{name: s, kind: scan, argv: [x], fail_on: high, warn_on: critical}",
       "agent.yaml:2: checks[0].warn_on: warn_on (critical) must not be more severe than fail_on "
       "(high)"},
      {"{name: s, kind: scan, argv: [x], format: grype}",
       "agent.yaml:2: checks[0].format: unknown report format \"grype\""},
      {"{name: s, kind: scan}", "agent.yaml:2: checks[0].argv: is required for kind scan"},
      {"{name: s, kind: scan, argv: [x], url: \"http://a\"}",
       "agent.yaml:2: checks[0].url: url is not valid for kind scan"},
  };
  for (const auto& [check, expected] : cases) {
    auto l = load("checks:\n  - " + check + "\n");
    INFO(check);
    CHECK_FALSE(l.config);
    CHECK_THAT(l.problems.format(), Catch::Contains(expected));
  }
}
