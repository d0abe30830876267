// kind scan end to end: a real agent runs a scanner script (it prints a Trivy JSON report that
// the test rewrites between runs), the hub stores scans and findings in the ingest transaction,
// and the API and vitalsctl return them. Runs are triggered with the recheck quick action; the
// agent may also run the scan on its own schedule (first run within a minute), so assertions
// never depend on how many scans there were, only on their order.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/pg_query.hpp"
#include "tests/support/stack.hpp"

using namespace vitals::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json parse(const HttpReply& r) {
  json j = json::parse(r.body, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

std::string vuln(const std::string& id, const std::string& pkg, const std::string& severity) {
  return json{{"VulnerabilityID", id},     {"PkgName", pkg},
              {"InstalledVersion", "1.0"}, {"FixedVersion", "1.1"},
              {"Severity", severity},      {"Title", pkg + " flaw"},
              {"Description", "ignored"},  {"References", {"https://example.invalid"}}}
      .dump();
}

std::string trivyReport(const std::vector<std::string>& vulns) {
  std::string list;
  for (const auto& v : vulns) {
    list += (list.empty() ? "" : ",") + v;
  }
  return R"j({"SchemaVersion": 2, "ArtifactName": "web:1", "Results": [{"Target":
             "web:1 (debian 12)", "Class": "os-pkgs", "Vulnerabilities": [)j" +
         list + "]}]}";
}

// The findings of a scan by vulnerability id -> status.
std::map<std::string, std::string> statuses(const json& scan) {
  std::map<std::string, std::string> out;
  for (const auto& f : scan["findings"]) {
    out[f["vulnerability_id"].get<std::string>()] = f["status"].get<std::string>();
  }
  return out;
}

}  // namespace

TEST_CASE(
    "security scans: an agent's scanner report is stored with new, open and fixed findings "
    "and served by the API and vitalsctl",
    "[hub][integration][security]") {
  const auto fx = Fixture::load();
  const std::string dir = fx.workDir("security_scans");
  const std::string db = fx.freshDatabase("security_scans");
  resetStream(fx);

  const std::string report = dir + "/report.json";
  writeFile(report, trivyReport({vuln("CVE-KEEP", "openssl", "CRITICAL"),
                                 vuln("CVE-OLD", "zlib", "HIGH"), vuln("CVE-LOW", "bash", "LOW")}));
  const std::string scanner = dir + "/scan.sh";
  writeFile(scanner, "#!/bin/sh\necho 'INFO scanning' >&2\ncat " + report + "\n");
  ::chmod(scanner.c_str(), 0755);

  HubOptions o;
  o.db_conninfo = db;
  o.http_port = freeTcpPort();
  o.batch_size = 50;
  HubProcess hub(fx, dir, o);
  REQUIRE(hub.waitReady(30s));
  const int port = hub.port();
  AgentProcess agent(fx, dir, "scan-agent",
                     "  - name: web-image\n    service: web\n    kind: scan\n"
                     "    argv: [" +
                         scanner +
                         "]\n    interval: 1h\n    timeout: 20s\n"
                         "  - name: broken-scan\n    service: web-broken\n    kind: scan\n"
                         "    argv: [/bin/sh, -c, \"echo 'FATAL no such image' >&2; exit 3\"]\n"
                         "    interval: 1h\n    timeout: 20s\n");
  REQUIRE(waitUntil([&] { return httpGet(port, "/api/v1/services/web").status == 200; }, 30s));
  auto recheck = [&](const std::string& service) {
    auto r = httpRequest(port, "POST", "/api/v1/services/" + service + "/actions/recheck", "{}");
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto results = parse(r)["results"];
    REQUIRE(results.size() == 1);
    return results[0];
  };

  // First scan: a critical finding makes the check down (fail_on critical by default).
  auto first = recheck("web");
  CHECK(first["status"] == "down");
  CHECK(first["message"] == "1 critical, 1 high, 1 low vulnerabilities (fail_on critical)");
  REQUIRE(waitUntil(
      [&] { return !parse(httpGet(port, "/api/v1/security/scans"))["scans"].empty(); }, 20s));
  auto scans = parse(httpGet(port, "/api/v1/security/scans?service=web"))["scans"];
  REQUIRE(!scans.empty());
  const json oldest = scans.back();
  CHECK(oldest["service"] == "web");
  CHECK(oldest["check"] == "web-image");
  CHECK(oldest["agent"] == "scan-agent");
  CHECK(oldest["scanner"] == "trivy");
  CHECK(oldest["target"] == "web:1");
  CHECK(oldest["status"] == "down");
  CHECK(oldest["counts"] ==
        json{{"critical", 1}, {"high", 1}, {"medium", 0}, {"low", 1}, {"unknown", 0}});
  CHECK(oldest["new"] == 3);
  auto detail = parse(httpGet(port, "/api/v1/security/scans/" + oldest["id"].dump()));
  CHECK(statuses(detail) == std::map<std::string, std::string>{
                                {"CVE-KEEP", "new"}, {"CVE-OLD", "new"}, {"CVE-LOW", "new"}});
  CHECK(detail["findings"][0]["vulnerability_id"] == "CVE-KEEP");  // most severe first
  CHECK(detail["findings"][0]["package"] == "openssl");
  CHECK(detail["findings"][0]["installed_version"] == "1.0");
  CHECK(detail["findings"][0]["fixed_version"] == "1.1");
  CHECK(detail["findings"][0]["title"] == "openssl flaw");

  // Second report: zlib fixed, curl new, the rest still there.
  writeFile(report, trivyReport({vuln("CVE-KEEP", "openssl", "CRITICAL"),
                                 vuln("CVE-NEW", "curl", "HIGH"), vuln("CVE-LOW", "bash", "LOW")}));
  recheck("web");
  // The first scan that saw CVE-NEW was compared with one that had CVE-OLD.
  json changed;
  REQUIRE(waitUntil(
      [&] {
        auto list = parse(httpGet(port, "/api/v1/security/scans?service=web"))["scans"];
        for (auto it = list.rbegin(); it != list.rend(); ++it) {
          auto s = parse(httpGet(port, "/api/v1/security/scans/" + (*it)["id"].dump()));
          if (statuses(s).count("CVE-NEW") != 0) {
            changed = s;
            return true;
          }
        }
        return false;
      },
      20s));
  INFO(changed.dump());
  CHECK(statuses(changed) ==
        std::map<std::string, std::string>{
            {"CVE-KEEP", "open"}, {"CVE-NEW", "new"}, {"CVE-OLD", "fixed"}, {"CVE-LOW", "open"}});
  CHECK(changed["new"] == 1);
  CHECK(changed["fixed"] == 1);
  for (const auto& f : changed["findings"]) {
    if (f["vulnerability_id"] == "CVE-KEEP") {
      CHECK(f["first_seen"] == oldest["scanned_at"]);  // carried over from the first scan
    }
  }

  // The current findings: the newest scan of each check.
  auto critical = parse(httpGet(port, "/api/v1/security/findings?service=web&severity=critical"));
  REQUIRE(critical["findings"].size() == 1);
  CHECK(critical["findings"][0]["vulnerability_id"] == "CVE-KEEP");
  CHECK(critical["findings"][0]["status"] == "open");
  CHECK(critical["findings"][0]["check"] == "web-image");
  auto open = parse(httpGet(port, "/api/v1/security/findings?status=open"));
  CHECK(open["findings"].size() >= 2);
  for (const auto& f : open["findings"]) {
    CHECK(f["status"] == "open");
  }
  auto page = parse(httpGet(port, "/api/v1/security/findings?status=open&limit=1"));
  REQUIRE(page["findings"].size() == 1);
  REQUIRE(page["next_cursor"].is_string());
  auto next = parse(httpGet(port, "/api/v1/security/findings?status=open&limit=1&cursor=" +
                                      page["next_cursor"].get<std::string>()));
  REQUIRE(next["findings"].size() == 1);
  CHECK(next["findings"][0]["vulnerability_id"] != page["findings"][0]["vulnerability_id"]);
  CHECK(httpGet(port, "/api/v1/security/findings?status=closed").status == 400);
  CHECK(httpGet(port, "/api/v1/security/findings?severity=severe").status == 400);
  CHECK(httpGet(port, "/api/v1/security/scans?cursor=bogus").status == 400);
  CHECK(httpGet(port, "/api/v1/security/scans/999999").status == 404);

  // A scanner that fails leaves a down result with the reason, and no scan.
  auto broken = recheck("web-broken");
  CHECK(broken["status"] == "down");
  CHECK(broken["message"] == "scanner exited with code 3: FATAL no such image");
  CHECK(parse(httpGet(port, "/api/v1/security/scans?service=web-broken"))["scans"].empty());

  // Exactly once: one scan row per scan result that carried a report.
  REQUIRE(waitUntil(
      [&] {
        return count(db, "SELECT count(*) FROM security_scans") ==
               count(db, "SELECT count(*) FROM health_checks WHERE check_name = 'web-image'");
      },
      10s));

  // A readonly key reads scans and findings.
  const std::string readonly = createApiKey(fx, hub.configPath(), dir, "readonly", "viewer");
  REQUIRE(!readonly.empty());
  CHECK(httpRequest(port, "GET", "/api/v1/security/scans", "", readonly).status == 200);
  CHECK(httpRequest(port, "GET", "/api/v1/security/findings", "", readonly).status == 200);
  CHECK(httpRequest(port, "GET", "/api/v1/security/scans", "", std::string()).status == 401);

  // vitalsctl
  writeFile(dir + "/ro.key", readonly + "\n");
  writeFile(dir + "/ctl.yaml", "hub: http://127.0.0.1:" + std::to_string(port) +
                                   "\napi_key_file: " + dir + "/ro.key\n");
  auto ctl = [&](std::vector<std::string> args, std::string& out) {
    std::vector<std::string> argv{fx.bin_dir + "/vitalsctl", "--config", dir + "/ctl.yaml"};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess p(argv, dir + "/ctl-" + std::to_string(freeTcpPort()) + ".log",
                   fx.run_dir + "/pids");
    const int code = p.waitExit(20000);
    out = p.log();
    return code;
  };
  std::string out;
  REQUIRE(ctl({"--output", "json", "security", "findings", "--severity", "critical"}, out) == 0);
  CHECK(json::parse(out)["findings"].size() == 1);
  REQUIRE(ctl({"security", "scan", changed["id"].dump()}, out) == 0);
  CHECK(out.find("CVE-NEW") != std::string::npos);
  REQUIRE(ctl({"security", "scans", "--service", "web"}, out) == 0);
  CHECK(out.find("web-image") != std::string::npos);
}
