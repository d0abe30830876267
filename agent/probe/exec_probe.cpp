#include "agent/probe/exec_probe.hpp"

#include "agent/probe/blocking_probe.hpp"
#include "common/time/duration_format.hpp"

namespace vitals::agent {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) {
    return "";
  }
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

ProbeOutcome evaluatePluginResult(const ProcessResult& r) {
  ProbeOutcome o;
  o.latency = r.duration;
  if (!r.started) {
    o.raw_status = HealthStatus::Down;
    o.failure_kind = FailureKind::Error;
    o.message = r.start_error;
    return o;
  }
  if (r.timed_out) {
    o.raw_status = HealthStatus::Down;
    o.failure_kind = FailureKind::Timeout;
    o.message = "timed out after " + formatDuration(duration_cast<milliseconds>(r.duration)) +
                " (process group killed)";
    return o;
  }
  // Message, perfdata and long output (Nagios plugin API).
  std::string_view out(r.output);
  const auto nl = out.find('\n');
  std::string_view first = out.substr(0, nl);
  std::string perfdata;
  if (const auto bar = first.find('|'); bar != std::string_view::npos) {
    perfdata = trim(first.substr(bar + 1));
    first = first.substr(0, bar);
  }
  std::string message = trim(first);
  if (nl != std::string_view::npos) {
    std::string_view rest = out.substr(nl + 1);
    if (const auto bar = rest.find('|'); bar != std::string_view::npos) {
      const std::string more = trim(rest.substr(bar + 1));
      if (!more.empty()) {
        perfdata += (perfdata.empty() ? "" : " ") + more;
      }
      rest = rest.substr(0, bar);
    }
    const std::string long_output = trim(rest);
    if (!long_output.empty()) {
      o.details["long_output"] = long_output;
    }
  }
  for (char& ch : perfdata) {
    if (ch == '\n' || ch == '\r') {
      ch = ' ';
    }
  }
  if (!perfdata.empty()) {
    o.details["perfdata"] = perfdata;
  }
  if (r.truncated) {
    o.details["output_truncated"] = "true";
  }
  if (r.signal != 0) {
    o.raw_status = HealthStatus::Down;
    o.failure_kind = FailureKind::Crashed;
    o.details["signal"] = std::to_string(r.signal);
    o.message = "killed by signal " + std::to_string(r.signal) +
                (message.empty() ? "" : ": " + message);
    return o;
  }
  o.details["exit_code"] = std::to_string(r.exit_code);
  switch (r.exit_code) {
    case 0:
      o.raw_status = HealthStatus::Healthy;
      break;
    case 1:
      o.raw_status = HealthStatus::Degraded;
      break;
    case 2:
      o.raw_status = HealthStatus::Down;
      o.failure_kind = FailureKind::Unexpected;
      break;
    default:
      o.raw_status = HealthStatus::Unknown;
      break;
  }
  o.message = message.empty() ? "exit code " + std::to_string(r.exit_code) : message;
  return o;
}

std::unique_ptr<Probe> makeExecProbe(ExecCheckSpec spec, Clock& clock, WorkQueue& queue) {
  ProcessRequest req;
  req.argv = spec.argv;
  req.env = spec.env;
  req.working_dir = spec.working_dir;
  req.max_output = spec.max_output;
  std::string target;
  for (const auto& a : spec.argv) {
    target += (target.empty() ? "" : " ") + a;
  }
  return std::make_unique<BlockingProbe>(
      "exec", target,
      [req = std::move(req), &clock](milliseconds timeout) {
        return evaluatePluginResult(runProcess(req, clock, timeout));
      },
      queue);
}

}  // namespace vitals::agent
