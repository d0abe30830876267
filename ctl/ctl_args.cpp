#include "ctl/ctl_args.hpp"

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/config/secret_file.hpp"
#include "common/config/yaml_reader.hpp"
#include "common/time/clock.hpp"

namespace vitals::ctl {
namespace {

Error usage(std::string message) { return Error{"usage", std::move(message), {}}; }

bool validTime(const std::string& text) {
  SystemTime t;
  return parseRfc3339(text, t) || config::parseDuration(text).has_value();
}

bool validHubUrl(const std::string& url) {
  return (url.rfind("http://", 0) == 0 && url.size() > 7) ||
         (url.rfind("https://", 0) == 0 && url.size() > 8);
}

struct FileSettings {
  std::optional<std::string> hub;
  std::optional<std::string> api_key_file;
};

// `hub: URL` and `api_key_file: PATH` from a vitalsctl config file (strict: other keys are
// errors).
Result<FileSettings> settingsFromFile(const std::string& path, const CtlEnvironment& env) {
  auto text = env.read_file(path);
  if (!text.ok()) {
    return usage("cannot read config file " + path + ": " + text.error().message);
  }
  config::Problems problems;
  auto root = config::YamlReader::loadString(text.value(), path, problems);
  FileSettings hub;
  if (root) {
    hub.hub = root->str("hub");
    hub.api_key_file = root->str("api_key_file");
    root->finish();
  }
  if (!problems.empty()) {
    auto msg = problems.format();
    if (!msg.empty() && msg.back() == '\n') {
      msg.pop_back();
    }
    return usage(msg);
  }
  return hub;
}

}  // namespace

const char* const kCtlUsage =
    "usage: vitalsctl [--hub URL] [--output table|json] [--config FILE] <command> [args]\n"
    "       vitalsctl --help | --version\n"
    "\n"
    "commands:\n"
    "  status [--status S,..] [--service GLOB] [--agent ID]\n"
    "                                 services and their checks (filtered by the hub)\n"
    "  history [SERVICE] [--since T] [--until T] [--limit N]\n"
    "          without SERVICE: every service, [--status S,..] [--service GLOB,..] [--agent ID]\n"
    "                                 results of one service, newest first; T is RFC 3339\n"
    "                                 (2026-01-02T03:04:05Z) or an age such as 30m, 2h, 1d\n"
    "  agents                         known agents\n"
    "  agents show ID                 one agent: its actions with their parameters, its checks\n"
    "  agents enroll-token [--ttl 1h] [--labels k=v,...]\n"
    "                                 a one-time token for `vitals-agent enroll` (admin)\n"
    "  agents tokens                  enrollment tokens made (admin)\n"
    "  agents revoke ID               cut an enrolled agent off the bus (admin)\n"
    "  agents forget ID               retire a stopped or unreachable agent now: it and its\n"
    "                                 services leave the current view, history stays (admin)\n"
    "  keys list                      API keys (admin)\n"
    "  keys create --name NAME --role admin|operator|readonly [--expires 30d]\n"
    "                                 a new API key, printed once (admin)\n"
    "  keys revoke ID                 revoke an API key (admin)\n"
    "  alerts [--state open|resolved|all] [--service S] [--kind status|log_rate|agents]\n"
    "                                 incidents, newest first (default: open)\n"
    "  alerts ack ID                  acknowledge an incident: stops escalation (operator)\n"
    "  silences [--state active|all]  silences and maintenance windows\n"
    "  silences add --service S [--agent A] [--check C] --duration 2h --comment TEXT\n"
    "               [--maintenance]   silence matching changes (globs; operator)\n"
    "  silences expire ID             end a silence now (operator)\n"
    "  uptime [SERVICE] [--window 7d|30d]\n"
    "                                 uptime of all services, or one with its timeline\n"
    "  repairs [--status S] [--service S]   auto-repair decisions and executions\n"
    "  approvals                      repairs waiting for approval\n"
    "  approvals approve|reject ID    decide a pending repair (operator)\n"
    "  policies [SERVICE]             repair policies\n"
    "  policies set SERVICE --file POLICY.json   replace a repair policy (admin)\n"
    "  preflight                      the pre-flight checklist and the ready flag\n"
    "  preflight run                  run it now (operator)\n"
    "  preflight override CHECK --reason TEXT [--expires 4h]   override a failed check (admin)\n"
    "  audit [--since T] [--actor A] [--action X] [--target T] [--limit N]   audit trail (admin)\n"
    "  federation hubs [ID]           the other hubs this hub hears (federation)\n"
    "  federation services [HUB] [--status up|degraded|down|unknown]\n"
    "                                 the global service view\n"
    "  logs stats [SERVICE] [--window 1h|24h|7d|30d]\n"
    "                                 log lines, errors, warnings and error rate per service,\n"
    "                                 with the trend against the window before (default 24h)\n"
    "  logs top-errors [--window W] [--service S] [--limit N]\n"
    "                                 the most repeated log messages\n"
    "  logs thresholds                log-rate thresholds in effect (API or hub.yaml)\n"
    "  logs thresholds set SERVICE [--errors N|none] [--warnings N|none]\n"
    "                                 lines per minute that open a log_rate incident (operator)\n"
    "  logs thresholds unset SERVICE  back to hub.yaml's thresholds (operator)\n"
    "  jobs [--type log_stats.hourly|log_stats.daily] [--status ok|failed] [--limit N]\n"
    "                                 runs of the periodic jobs, newest first\n"
    "  security scans [--service S] [--limit N]   security scans, newest first\n"
    "  security scan ID               one scan with its findings (new, open, fixed)\n"
    "  security findings [--service S] [--severity critical|high|medium|low|unknown]\n"
    "                    [--status new|open|fixed] [--limit N]\n"
    "                                 the findings of each check's newest scan\n"
    "  services set NAME [--owner O] [--tag T]... [--depends-on S]... [--service-version V]\n"
    "               [--description D] the registry's operator fields of a service; fields not\n"
    "                                 given become empty (operator)\n"
    "  checks list AGENT              the agent's checks managed through the API, with state\n"
    "  checks add AGENT (--file CHECK.json | JSON)\n"
    "                                 add or replace one (a `checks:` item as JSON; operator)\n"
    "  checks rm AGENT NAME           remove one (operator)\n"
    "\n"
    "options:\n"
    "  --hub URL        hub base URL (default: $VITALS_HUB, else http://127.0.0.1:8080)\n"
    "  --output FORMAT  table (default) or json\n"
    "  --config FILE    YAML with `hub: URL` and `api_key_file: PATH`\n"
    "\n"
    "environment: VITALS_HUB (hub URL), VITALS_API_KEY (sent as Authorization: Bearer)\n"
    "\n"
    "exit codes: 0 ok, 1 error (hub unreachable or answered with an error), 2 usage\n";

CtlEnvironment CtlEnvironment::system() {
  CtlEnvironment e;
  e.env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
  };
  e.read_file = [](const std::string& path) { return config::readTextFile(path); };
  return e;
}

namespace {

std::string encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// uptime, repairs, approvals, policies, preflight, audit: the API call they make.
Status apiCommand(CtlArgs& a, const std::vector<std::string>& pos, const CtlEnvironment& env,
                  bool limit_given) {
  const std::string& cmd = pos.front();
  const std::string sub = pos.size() > 1 ? pos[1] : "";
  auto fail = [](const std::string& m) -> Status { return Error{"usage", m, {}}; };
  auto only = [&](std::size_t n, const std::string& what) -> Status {
    return pos.size() == n ? okStatus() : fail(what);
  };
  a.command = Command::Api;
  std::string query;
  auto add = [&](const std::string& k, const std::string& v) {
    if (!v.empty()) {
      query += (query.empty() ? "?" : "&") + k + "=" + encode(v);
    }
  };
  Status shape = okStatus();
  const bool mutating_flags = !a.reason.empty() || !a.file.empty() || !a.key_expires.empty();
  if (cmd == "uptime") {
    if (!a.window.empty() && a.window != "7d" && a.window != "30d") {
      return fail("--window must be 7d or 30d, got \"" + a.window + "\"");
    }
    add("window", a.window);
    if (pos.size() == 1) {
      a.api_path = "/api/v1/uptime" + query;
      a.api_list_key = "services";
    } else {
      shape = only(2, "uptime takes at most one SERVICE");
      a.api_path = "/api/v1/services/" + encode(pos[1]) + "/uptime" + query;
      a.api_list_key = "timeline";
    }
  } else if (cmd == "repairs") {
    shape = only(1, "repairs takes no arguments (use --status and --service)");
    add("status", a.status);
    add("service", a.alert_service);
    a.api_path = "/api/v1/repairs" + query;
    a.api_list_key = "repairs";
  } else if (cmd == "approvals") {
    if (sub.empty()) {
      a.api_path = "/api/v1/approvals";
      a.api_list_key = "approvals";
    } else if ((sub == "approve" || sub == "reject") && pos.size() == 3 &&
               pos[2].find_first_not_of("0123456789") == std::string::npos) {
      a.api_method = "POST";
      a.api_path = "/api/v1/approvals/" + pos[2] + "/" + sub;
    } else {
      return fail("approvals takes nothing, or approve ID / reject ID");
    }
  } else if (cmd == "policies") {
    if (sub == "set") {
      if (pos.size() != 3 || a.file.empty()) {
        return fail("policies set needs SERVICE and --file POLICY.json");
      }
      auto text = env.read_file(a.file);
      if (!text.ok()) {
        return fail("cannot read " + a.file + ": " + text.error().message);
      }
      if (nlohmann::json::parse(text.value(), nullptr, false).is_discarded()) {
        return fail(a.file + " is not valid JSON");
      }
      a.api_method = "PUT";
      a.api_path = "/api/v1/policies/" + encode(pos[2]);
      a.api_body = text.value();
    } else if (pos.size() == 1) {
      a.api_path = "/api/v1/policies";
      a.api_list_key = "policies";
    } else {
      shape = only(2, "policies takes at most one SERVICE (or: set SERVICE --file F)");
      a.api_path = "/api/v1/policies/" + encode(pos[1]);
    }
  } else if (cmd == "preflight") {
    if (sub.empty()) {
      a.api_path = "/api/v1/preflight";
      a.api_list_key = "checks";
    } else if (sub == "run") {
      shape = only(2, "preflight run takes no arguments");
      a.api_method = "POST";
      a.api_path = "/api/v1/preflight/run";
      a.api_list_key = "checks";
    } else if (sub == "override") {
      if (pos.size() != 3 || a.reason.empty()) {
        return fail("preflight override needs CHECK and --reason TEXT");
      }
      nlohmann::json body{{"check", pos[2]}, {"reason", a.reason}};
      if (!a.key_expires.empty()) {
        body["expires_in"] = a.key_expires;
      }
      a.api_method = "POST";
      a.api_path = "/api/v1/preflight/overrides";
      a.api_body = body.dump();
    } else {
      return fail("preflight takes nothing, run, or override CHECK --reason TEXT");
    }
  } else if (cmd == "audit") {
    shape = only(1, "audit takes no arguments (use --since, --actor, --action, --target)");
    add("since", a.since.value_or(""));
    add("until", a.until.value_or(""));
    add("actor", a.actor);
    add("action", a.action);
    add("target", a.target);
    if (limit_given) {
      add("limit", std::to_string(std::min(a.limit, 1000)));
    }
    a.api_path = "/api/v1/audit" + query;
    a.api_list_key = "entries";
  } else if (cmd == "checks") {
    if (sub == "list") {
      shape = only(3, "checks list needs exactly one AGENT");
      a.api_path = "/api/v1/agents/" + encode(pos.size() > 2 ? pos[2] : "") + "/checks";
      a.api_list_key = "checks";
      a.api_columns = {"name", "service", "kind", "state", "error", "updated_at"};
    } else if (sub == "add") {
      if (pos.size() < 3 || pos.size() > 4 || (pos.size() == 4) == !a.file.empty()) {
        return fail("checks add needs AGENT and the check as JSON, or --file CHECK.json");
      }
      std::string text = pos.size() == 4 ? pos[3] : "";
      if (!a.file.empty()) {
        auto read = env.read_file(a.file);
        if (!read.ok()) {
          return fail("cannot read " + a.file + ": " + read.error().message);
        }
        text = read.value();
      }
      const auto check = nlohmann::json::parse(text, nullptr, false);
      if (!check.is_object() || !check.contains("name") || !check["name"].is_string()) {
        return fail("the check must be a JSON object with a \"name\"");
      }
      a.api_method = "PUT";
      a.api_path = "/api/v1/agents/" + encode(pos[2]) + "/checks/" +
                   encode(check["name"].get<std::string>());
      a.api_body = check.dump();
    } else if (sub == "rm") {
      shape = only(4, "checks rm needs AGENT and NAME");
      a.api_method = "DELETE";
      a.api_path = "/api/v1/agents/" + encode(pos.size() > 2 ? pos[2] : "") + "/checks/" +
                   encode(pos.size() > 3 ? pos[3] : "");
    } else {
      return fail("checks takes list AGENT, add AGENT ... or rm AGENT NAME");
    }
  } else if (cmd == "services") {
    if (sub != "set" || pos.size() != 3) {
      return fail(
          "services takes set NAME [--owner O] [--tag T]... [--depends-on S]... "
          "[--service-version V] [--description D]");
    }
    nlohmann::json body = nlohmann::json::object();
    body["owner"] = a.owner.value_or("");
    body["tags"] = a.tags;
    body["depends_on"] = a.depends_on;
    body["version"] = a.service_version.value_or("");
    body["description"] = a.description.value_or("");
    a.api_method = "PUT";
    a.api_path = "/api/v1/services/" + encode(pos[2]);
    a.api_body = body.dump();
  } else if (cmd == "security") {
    if (sub == "scans") {
      shape = only(2, "security scans takes no arguments (use --service and --limit)");
      add("service", a.alert_service);
      if (limit_given) {
        add("limit", std::to_string(std::min(a.limit, 1000)));
      }
      a.api_path = "/api/v1/security/scans" + query;
      a.api_list_key = "scans";
      a.api_columns = {"id",     "service", "check", "target",    "status",
                       "counts", "new",     "fixed", "scanned_at"};
    } else if (sub == "scan") {
      if (pos.size() != 3 || pos[2].empty() ||
          pos[2].find_first_not_of("0123456789") != std::string::npos) {
        return fail("security scan needs exactly one numeric scan ID");
      }
      a.api_path = "/api/v1/security/scans/" + pos[2];
      a.api_list_key = "findings";
      a.api_columns = {"severity",      "vulnerability_id", "package", "installed_version",
                       "fixed_version", "status",           "target",  "title"};
    } else if (sub == "findings") {
      shape = only(2,
                   "security findings takes no arguments (use --service, --severity, "
                   "--status)");
      if (!a.status.empty() && a.status != "new" && a.status != "open" && a.status != "fixed") {
        return fail("--status must be new, open or fixed, got \"" + a.status + "\"");
      }
      add("service", a.alert_service);
      add("severity", a.severity);
      add("status", a.status);
      if (limit_given) {
        add("limit", std::to_string(std::min(a.limit, 5000)));
      }
      a.api_path = "/api/v1/security/findings" + query;
      a.api_list_key = "findings";
      a.api_columns = {"severity",      "vulnerability_id", "package", "installed_version",
                       "fixed_version", "status",           "service", "check"};
    } else {
      return fail("security needs scans, scan ID or findings");
    }
  } else if (cmd == "logs") {
    if (sub == "stats") {
      if (!a.window.empty() && a.window != "1h" && a.window != "24h" && a.window != "7d" &&
          a.window != "30d") {
        return fail("--window must be 1h, 24h, 7d or 30d, got \"" + a.window + "\"");
      }
      add("window", a.window);
      if (pos.size() == 2) {
        a.api_path = "/api/v1/logs/stats" + query;
        a.api_list_key = "services";
        a.api_columns = {"service", "lines", "errors", "warnings", "error_rate"};
      } else {
        shape = only(3, "logs stats takes at most one SERVICE");
        a.api_path = "/api/v1/logs/stats/" + encode(pos[2]) + query;
        a.api_list_key = "series";
        a.api_columns = {"start", "lines", "errors", "warnings", "error_rate"};
      }
    } else if (sub == "top-errors") {
      shape = only(2, "logs top-errors takes no arguments (use --window, --service, --limit)");
      if (!a.window.empty() && a.window != "1h" && a.window != "24h" && a.window != "7d" &&
          a.window != "30d") {
        return fail("--window must be 1h, 24h, 7d or 30d, got \"" + a.window + "\"");
      }
      add("window", a.window);
      add("service", a.alert_service);
      if (limit_given) {
        add("limit", std::to_string(std::min(a.limit, 100)));
      }
      a.api_path = "/api/v1/logs/top-errors" + query;
      a.api_list_key = "top_errors";
      a.api_columns = {"count", "service", "message", "first_seen", "last_seen"};
    } else if (sub == "thresholds") {
      const std::string verb = pos.size() > 2 ? pos[2] : "";
      if (verb.empty()) {
        a.api_path = "/api/v1/logs/thresholds";
        a.api_list_key = "thresholds";
        a.api_columns = {"service", "errors_per_minute", "warnings_per_minute", "source"};
      } else if (verb == "set" && pos.size() == 4) {
        if (a.errors_per_minute.empty() && a.warnings_per_minute.empty()) {
          return fail("logs thresholds set needs --errors N and/or --warnings N");
        }
        nlohmann::json body = nlohmann::json::object();
        for (auto [key, text] : {std::pair{"errors_per_minute", a.errors_per_minute},
                                 std::pair{"warnings_per_minute", a.warnings_per_minute}}) {
          if (text.empty()) {
            continue;
          }
          if (text == "none") {
            body[key] = nullptr;
            continue;
          }
          char* end = nullptr;
          const double v = std::strtod(text.c_str(), &end);
          if (end != text.c_str() + text.size() || !(v > 0)) {
            return fail(
                std::string(key == std::string("errors_per_minute") ? "--errors" : "--warnings") +
                " must be a number of lines per minute > 0 or none, got \"" + text + "\"");
          }
          body[key] = v;
        }
        a.api_method = "PUT";
        a.api_path = "/api/v1/logs/thresholds/" + encode(pos[3]);
        a.api_body = body.dump();
      } else if (verb == "unset" && pos.size() == 4) {
        a.api_method = "DELETE";
        a.api_path = "/api/v1/logs/thresholds/" + encode(pos[3]);
      } else {
        return fail("logs thresholds takes nothing, set SERVICE --errors N, or unset SERVICE");
      }
    } else {
      return fail("logs needs stats [SERVICE], top-errors or thresholds");
    }
  } else if (cmd == "jobs") {
    shape = only(1, "jobs takes no arguments (use --type, --status, --limit)");
    if (!a.status.empty() && a.status != "ok" && a.status != "failed") {
      return fail("--status must be ok or failed, got \"" + a.status + "\"");
    }
    add("type", a.type);
    add("status", a.status);
    if (limit_given) {
      add("limit", std::to_string(std::min(a.limit, 500)));
    }
    a.api_path = "/api/v1/jobs" + query;
    a.api_list_key = "executions";
    a.api_columns = {"id", "type", "period_start", "status", "rows", "replica", "error"};
  } else if (cmd == "federation") {
    if (sub == "hubs") {
      if (pos.size() == 2) {
        a.api_path = "/api/v1/federation/hubs";
        a.api_list_key = "hubs";
      } else {
        shape = only(3, "federation hubs takes at most one hub ID");
        a.api_path = "/api/v1/federation/hubs/" + encode(pos[2]);
        a.api_list_key = "service_list";
      }
    } else if (sub == "services") {
      shape = only(pos.size() == 3 ? 3 : 2, "federation services takes at most one hub ID");
      add("status", a.status);
      add("hub", pos.size() == 3 ? pos[2] : "");
      a.api_path = "/api/v1/federation/services" + query;
      a.api_list_key = "services";
    } else {
      return fail("federation needs hubs [ID] or services [HUB] [--status S]");
    }
  }
  if (!shape.ok()) {
    return shape;
  }
  // Flags that only some of these take.
  const bool log_reads = cmd == "logs" && (sub == "stats" || sub == "top-errors");
  if (!a.window.empty() && cmd != "uptime" && !log_reads) {
    return fail("--window belongs to uptime, logs stats and logs top-errors");
  }
  const bool findings = cmd == "security" && sub == "findings";
  const bool top_errors = cmd == "logs" && sub == "top-errors";
  if ((!a.errors_per_minute.empty() || !a.warnings_per_minute.empty()) &&
      !(cmd == "logs" && sub == "thresholds")) {
    return fail("--errors and --warnings belong to logs thresholds set");
  }
  if (!a.type.empty() && cmd != "jobs") {
    return fail("--type belongs to jobs");
  }
  if (!a.status.empty() && cmd != "repairs" && !(cmd == "federation" && sub == "services") &&
      !findings && cmd != "jobs") {
    return fail("--status belongs to repairs, federation services and security findings");
  }
  if (!a.severity.empty() && !findings) {
    return fail("--severity belongs to security findings");
  }
  if (!a.alert_service.empty() && cmd != "repairs" && !findings && !top_errors &&
      !(cmd == "security" && sub == "scans")) {
    return fail("--service belongs to alerts, repairs, security and silences add");
  }
  if (limit_given && cmd != "audit" && !findings && !top_errors && cmd != "jobs" &&
      !(cmd == "security" && sub == "scans")) {
    return fail("--limit belongs to history, audit, security scans and security findings");
  }
  if ((!a.actor.empty() || !a.action.empty() || !a.target.empty() || a.since || a.until) &&
      cmd != "audit") {
    return fail("--since, --until, --limit, --actor, --action and --target belong to audit");
  }
  if (mutating_flags && a.api_body == std::nullopt) {
    return fail("--reason, --expires and --file belong to preflight override and policies set");
  }
  return okStatus();
}

}  // namespace

Result<CtlArgs> parseCtlArgs(const std::vector<std::string>& argv, const CtlEnvironment& env) {
  CtlArgs a;
  std::optional<std::string> hub_flag;
  std::optional<std::string> config_file;
  std::vector<std::string> positional;
  bool limit_given = false;

  for (std::size_t i = 0; i < argv.size(); ++i) {
    std::string arg = argv[i];
    std::optional<std::string> inline_value;
    if (arg.rfind("--", 0) == 0) {
      if (const auto eq = arg.find('='); eq != std::string::npos) {
        inline_value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
    }
    auto value = [&]() -> std::optional<std::string> {
      if (inline_value) {
        return inline_value;
      }
      if (i + 1 < argv.size()) {
        return argv[++i];
      }
      return std::nullopt;
    };
    if (arg == "--help" || arg == "-h") {
      a.help = true;
    } else if (arg == "--version") {
      a.version = true;
    } else if (arg == "--maintenance") {
      a.maintenance = true;
    } else if (arg == "--severity") {
      auto v = value();
      if (!v ||
          (*v != "critical" && *v != "high" && *v != "medium" && *v != "low" && *v != "unknown")) {
        return usage("--severity must be critical, high, medium, low or unknown");
      }
      a.severity = *v;
    } else if (arg == "--window" || arg == "--status" || arg == "--reason" || arg == "--file" ||
               arg == "--actor" || arg == "--action" || arg == "--target" || arg == "--ttl" ||
               arg == "--labels" || arg == "--kind" || arg == "--type" || arg == "--errors" ||
               arg == "--warnings") {
      auto v = value();
      if (!v || v->empty()) {
        return usage(arg + " needs a value");
      }
      (arg == "--window"     ? a.window
       : arg == "--status"   ? a.status
       : arg == "--reason"   ? a.reason
       : arg == "--file"     ? a.file
       : arg == "--actor"    ? a.actor
       : arg == "--action"   ? a.action
       : arg == "--ttl"      ? a.ttl
       : arg == "--labels"   ? a.labels
       : arg == "--kind"     ? a.kind
       : arg == "--type"     ? a.type
       : arg == "--errors"   ? a.errors_per_minute
       : arg == "--warnings" ? a.warnings_per_minute
                             : a.target) = *v;
    } else if (arg == "--owner" || arg == "--tag" || arg == "--depends-on" ||
               arg == "--service-version" || arg == "--description") {
      auto v = value();
      if (!v) {
        return usage(arg + " needs a value");
      }
      if (arg == "--tag") {
        a.tags.push_back(*v);
      } else if (arg == "--depends-on") {
        a.depends_on.push_back(*v);
      } else {
        (arg == "--owner"         ? a.owner
         : arg == "--description" ? a.description
                                  : a.service_version) = *v;
      }
    } else if (arg == "--state" || arg == "--service" || arg == "--agent" || arg == "--check" ||
               arg == "--duration" || arg == "--comment") {
      auto v = value();
      if (!v || v->empty()) {
        return usage(arg + " needs a value");
      }
      if (arg == "--state") {
        a.state = *v;
      } else if (arg == "--service") {
        a.alert_service = *v;
      } else if (arg == "--agent") {
        a.agent = *v;
      } else if (arg == "--check") {
        a.check = *v;
      } else if (arg == "--duration") {
        const auto d = config::parseDuration(*v);
        if (!d || d->count() <= 0) {
          return usage("--duration must be a duration such as 30m or 2h, got \"" + *v + "\"");
        }
        a.duration = *v;
      } else {
        a.comment = *v;
      }
    } else if (arg == "--hub" || arg == "--output" || arg == "--config" || arg == "--since" ||
               arg == "--until" || arg == "--limit" || arg == "--name" || arg == "--role" ||
               arg == "--expires") {
      auto v = value();
      if (!v || v->empty()) {
        return usage(arg + " needs a value");
      }
      if (arg == "--hub") {
        hub_flag = *v;
      } else if (arg == "--name") {
        a.key_name = *v;
      } else if (arg == "--role") {
        if (*v != "admin" && *v != "operator" && *v != "readonly") {
          return usage("--role must be admin, operator or readonly, got \"" + *v + "\"");
        }
        a.key_role = *v;
      } else if (arg == "--expires") {
        if (!config::parseDuration(*v)) {
          return usage("--expires must be a duration such as 12h or 30d, got \"" + *v + "\"");
        }
        a.key_expires = *v;
      } else if (arg == "--config") {
        config_file = *v;
      } else if (arg == "--output") {
        if (*v == "table") {
          a.output = Output::Table;
        } else if (*v == "json") {
          a.output = Output::Json;
        } else {
          return usage("--output must be table or json, got \"" + *v + "\"");
        }
      } else if (arg == "--since" || arg == "--until") {
        if (!validTime(*v)) {
          return usage(arg + " must be an RFC 3339 time or an age such as 2h, got \"" + *v + "\"");
        }
        (arg == "--since" ? a.since : a.until) = *v;
      } else {
        int n = 0;
        const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
        if (ec != std::errc{} || end != v->data() + v->size() || n < 1 || n > 100000) {
          return usage("--limit must be an integer from 1 to 100000, got \"" + *v + "\"");
        }
        a.limit = n;
        limit_given = true;
      }
    } else if (arg.rfind("-", 0) == 0 && arg != "-") {
      return usage("unknown option " + arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (a.help || a.version) {
    return a;
  }
  if (positional.empty()) {
    return usage("no command given");
  }
  const std::string& cmd = positional.front();
  if (!a.kind.empty()) {
    if (cmd != "alerts") {
      return usage("--kind belongs to alerts");
    }
    if (a.kind != "status" && a.kind != "log_rate" && a.kind != "agents") {
      return usage("--kind must be status, log_rate or agents, got \"" + a.kind + "\"");
    }
  }
  if (cmd == "agents" && positional.size() > 1) {
    const std::string& sub = positional[1];
    a.command = Command::Api;
    if (sub == "enroll-token") {
      if (positional.size() != 2) {
        return usage("agents enroll-token takes no arguments (use --ttl and --labels)");
      }
      nlohmann::json body{{"ttl", a.ttl.empty() ? std::string("1h") : a.ttl}};
      if (!a.ttl.empty() && !config::parseDuration(a.ttl)) {
        return usage("--ttl must be a duration such as 30m, 1h or 7d, got \"" + a.ttl + "\"");
      }
      if (!a.labels.empty()) {
        nlohmann::json labels = nlohmann::json::object();
        std::stringstream ss(a.labels);
        std::string pair;
        while (std::getline(ss, pair, ',')) {
          const auto eq = pair.find('=');
          if (eq == std::string::npos || eq == 0) {
            return usage("--labels must be k=v pairs separated by commas, got \"" + pair + "\"");
          }
          labels[pair.substr(0, eq)] = pair.substr(eq + 1);
        }
        body["labels"] = labels;
      }
      a.api_method = "POST";
      a.api_path = "/api/v1/enrollment-tokens";
      a.api_body = body.dump();
    } else if (sub == "tokens") {
      if (positional.size() != 2) {
        return usage("agents tokens takes no arguments");
      }
      a.api_path = "/api/v1/enrollment-tokens";
      a.api_list_key = "tokens";
    } else if (sub == "revoke") {
      if (positional.size() != 3) {
        return usage("agents revoke needs exactly one agent ID");
      }
      a.api_method = "POST";
      a.api_path = "/api/v1/agents/" + encode(positional[2]) + "/revoke";
    } else if (sub == "show") {
      if (positional.size() != 3 || positional[2].empty()) {
        return usage("agents show needs exactly one agent ID");
      }
      a.command = Command::AgentShow;
      a.service = positional[2];
    } else if (sub == "forget") {
      if (positional.size() != 3 || positional[2].empty()) {
        return usage("agents forget needs exactly one agent ID");
      }
      a.api_method = "DELETE";
      a.api_path = "/api/v1/agents/" + encode(positional[2]);
    } else {
      return usage("agents takes nothing, show ID, enroll-token, tokens, revoke ID or forget ID");
    }
    if ((!a.ttl.empty() || !a.labels.empty()) && sub != "enroll-token") {
      return usage("--ttl and --labels belong to agents enroll-token");
    }
  } else if (cmd == "status" || cmd == "agents") {
    a.command = cmd == "status" ? Command::Status : Command::Agents;
    if (positional.size() > 1) {
      return usage(cmd + " takes no arguments, got \"" + positional[1] + "\"");
    }
    if (cmd == "status") {
      // Filters the hub applies (GET /api/v1/services): statuses, a name glob, an agent.
      for (const auto& [k, v] : {std::pair<std::string, std::string>{"status", a.status},
                                 {"q", a.alert_service},
                                 {"agent", a.agent == "*" ? std::string() : a.agent}}) {
        if (!v.empty()) {
          a.services_query += (a.services_query.empty() ? "?" : "&") + k + "=" + encode(v);
        }
      }
    }
  } else if (cmd == "history") {
    a.command = Command::History;
    if (positional.size() > 2) {
      return usage("history takes at most one SERVICE");
    }
    if (positional.size() == 2) {
      a.service = positional[1];
      if (!a.status.empty() || a.agent != "*" || !a.alert_service.empty()) {
        return usage(
            "--status, --service and --agent belong to history across services (no SERVICE)");
      }
    }
  } else if (cmd == "keys") {
    const std::string sub = positional.size() > 1 ? positional[1] : "";
    if (sub == "list") {
      a.command = Command::KeysList;
      if (positional.size() > 2) {
        return usage("keys list takes no arguments, got \"" + positional[2] + "\"");
      }
    } else if (sub == "create") {
      a.command = Command::KeysCreate;
      if (positional.size() > 2) {
        return usage("keys create takes no arguments, got \"" + positional[2] + "\"");
      }
      if (a.key_name.empty() || a.key_role.empty()) {
        return usage("keys create needs --name NAME and --role admin|operator|readonly");
      }
    } else if (sub == "revoke") {
      a.command = Command::KeysRevoke;
      if (positional.size() != 3) {
        return usage("keys revoke needs exactly one key ID");
      }
      a.key_id = positional[2];
      if (a.key_id.find_first_not_of("0123456789") != std::string::npos) {
        return usage("keys revoke: the key ID is a number, got \"" + a.key_id + "\"");
      }
    } else {
      return usage("keys needs a subcommand: list, create or revoke");
    }
  } else if (cmd == "uptime" || cmd == "repairs" || cmd == "approvals" || cmd == "policies" ||
             cmd == "preflight" || cmd == "audit" || cmd == "federation" || cmd == "security" ||
             cmd == "logs" || cmd == "jobs" || cmd == "checks" || cmd == "services") {
    if (auto s = apiCommand(a, positional, env, limit_given); !s.ok()) {
      return s.error();
    }
  } else if (cmd == "alerts" || cmd == "silences") {
    const bool alerts = cmd == "alerts";
    const std::string sub = positional.size() > 1 ? positional[1] : "list";
    if (sub == "list") {
      a.command = alerts ? Command::AlertsList : Command::SilencesList;
      if (positional.size() > 2) {
        return usage(cmd + " list takes no arguments, got \"" + positional[2] + "\"");
      }
    } else if ((alerts && sub == "ack") || (!alerts && sub == "expire")) {
      a.command = alerts ? Command::AlertsAck : Command::SilencesExpire;
      if (positional.size() != 3 ||
          positional[2].find_first_not_of("0123456789") != std::string::npos) {
        return usage(cmd + " " + sub + " needs exactly one numeric ID");
      }
      a.item_id = positional[2];
    } else if (!alerts && sub == "add") {
      a.command = Command::SilencesAdd;
      if (positional.size() > 2) {
        return usage("silences add takes no arguments, got \"" + positional[2] + "\"");
      }
      if (a.duration.empty() || a.comment.empty()) {
        return usage("silences add needs --duration D and --comment TEXT");
      }
      if (a.alert_service.empty() && a.agent == "*" && a.check == "*") {
        return usage("silences add needs --service, --agent or --check");
      }
    } else {
      return usage(alerts ? "alerts takes list (default) or ack ID"
                          : "silences takes list (default), add or expire ID");
    }
    const bool list = a.command == Command::AlertsList || a.command == Command::SilencesList;
    if (!a.state.empty()) {
      const bool ok = !list    ? false
                      : alerts ? (a.state == "open" || a.state == "resolved" || a.state == "all")
                               : (a.state == "active" || a.state == "all");
      if (!ok) {
        return usage(list ? "--state must be " +
                                std::string(alerts ? "open, resolved or all" : "active or all") +
                                ", got \"" + a.state + "\""
                          : "--state belongs to the list commands");
      }
    }
  } else {
    return usage("unknown command \"" + cmd + "\"");
  }
  if (a.command != Command::SilencesAdd &&
      ((a.agent != "*" && a.command != Command::Status && a.command != Command::History) ||
       a.check != "*" || !a.duration.empty() || !a.comment.empty() || a.maintenance)) {
    return usage(
        "--agent, --check, --duration, --comment and --maintenance belong to silences add "
        "(--agent also to status and history)");
  }
  if (!a.alert_service.empty() && a.command != Command::SilencesAdd &&
      a.command != Command::AlertsList && a.command != Command::Api &&
      a.command != Command::Status && a.command != Command::History) {
    return usage("--service belongs to status, history, alerts (list) and silences add");
  }
  if (a.command != Command::KeysCreate && a.command != Command::Api &&
      (!a.key_name.empty() || !a.key_role.empty() || !a.key_expires.empty())) {
    return usage("--name, --role and --expires belong to the keys create command");
  }
  if (a.command != Command::History && a.command != Command::Api &&
      (a.since || a.until || limit_given)) {
    return usage("--since, --until and --limit belong to the history and audit commands");
  }
  if ((!a.ttl.empty() || !a.labels.empty()) &&
      !(cmd == "agents" && positional.size() > 1 && positional[1] == "enroll-token")) {
    return usage("--ttl and --labels belong to agents enroll-token");
  }
  if (a.command != Command::Api &&
      (!a.window.empty() ||
       (!a.status.empty() && a.command != Command::Status && a.command != Command::History) ||
       !a.reason.empty() || !a.file.empty() || !a.actor.empty() || !a.action.empty() ||
       !a.target.empty() || !a.severity.empty())) {
    return usage(
        "--window, --status, --reason, --file, --actor, --action, --target and "
        "--severity belong to uptime, repairs, preflight override, policies set, audit "
        "and security");
  }

  if ((a.owner || a.description || a.service_version || !a.tags.empty() || !a.depends_on.empty()) &&
      !(cmd == "services" && a.api_method == "PUT")) {
    return usage(
        "--owner, --tag, --depends-on, --service-version and --description belong to services "
        "set");
  }

  std::optional<std::string> from_file;
  std::optional<std::string> key_file;
  if (config_file) {
    auto h = settingsFromFile(*config_file, env);
    if (!h.ok()) {
      return h.error();
    }
    from_file = h->hub;
    key_file = h->api_key_file;
  }
  if (auto e = env.env ? env.env("VITALS_API_KEY") : std::nullopt; e && !e->empty()) {
    a.api_key = *e;
  } else if (key_file) {
    auto text = env.read_file(*key_file);
    if (!text.ok()) {
      return usage("cannot read api_key_file " + *key_file + ": " + text.error().message);
    }
    a.api_key = text.value();
  }
  a.api_key = config::trimSecret(std::move(a.api_key));
  if (hub_flag) {
    a.hub_url = *hub_flag;
  } else if (from_file) {
    a.hub_url = *from_file;
  } else if (auto e = env.env ? env.env("VITALS_HUB") : std::nullopt; e && !e->empty()) {
    a.hub_url = *e;
  }
  while (a.hub_url.size() > 1 && a.hub_url.back() == '/') {
    a.hub_url.pop_back();
  }
  if (!validHubUrl(a.hub_url)) {
    return usage("the hub URL must start with http:// or https://, got \"" + a.hub_url + "\"");
  }
  return a;
}

}  // namespace vitals::ctl
