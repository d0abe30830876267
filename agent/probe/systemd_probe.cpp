#include "agent/probe/systemd_probe.hpp"

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <sstream>

#include "agent/probe/blocking_probe.hpp"
#include "agent/probe/exec_probe.hpp"

namespace vitals::agent {
namespace {

std::string pid1Name() {
  std::ifstream in("/proc/1/comm");
  std::string name;
  std::getline(in, name);
  return name.empty() ? "?" : name;
}

}  // namespace

ProbeOutcome evaluateSystemdShow(const std::string& unit, std::string_view output) {
  std::map<std::string, std::string> props;
  std::istringstream in{std::string(output)};
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) {
      props[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  ProbeOutcome o;
  const std::string active = props["ActiveState"];
  const std::string sub = props["SubState"];
  const std::string load = props["LoadState"];
  o.details["active_state"] = active;
  o.details["sub_state"] = sub;
  if (!load.empty()) {
    o.details["load_state"] = load;
  }
  if (active.empty()) {
    o.raw_status = HealthStatus::Unknown;
    o.message = "systemctl gave no ActiveState for " + unit;
    return o;
  }
  if (load == "not-found") {
    o.raw_status = HealthStatus::Down;
    o.failure_kind = FailureKind::Unexpected;
    o.message = "unit " + unit + " not found";
    return o;
  }
  o.message = unit + " is " + active + (sub.empty() ? "" : " (" + sub + ")");
  if (active == "active") {
    o.raw_status = HealthStatus::Healthy;
  } else if (active == "activating" || active == "reloading" || active == "deactivating") {
    o.raw_status = HealthStatus::Degraded;
  } else {
    o.raw_status = HealthStatus::Down;
    o.failure_kind = FailureKind::Unexpected;
  }
  return o;
}

std::unique_ptr<Probe> makeSystemdProbe(SystemdCheckSpec spec, Clock& clock, WorkQueue& queue,
                                        SystemdProbeOptions options) {
  const std::string unit = spec.unit;
  return std::make_unique<BlockingProbe>(
      "systemd", unit,
      [unit, options, &clock](std::chrono::milliseconds timeout) {
        struct stat st{};
        if (::stat(options.booted_marker.c_str(), &st) != 0) {
          ProbeOutcome o;
          o.raw_status = HealthStatus::Unknown;
          o.message = "systemd is not running on this host (PID 1 is " + pid1Name() +
                      "): cannot check " + unit;
          return o;
        }
        ProcessRequest req;
        req.argv = {options.systemctl, "show",        "-p", "LoadState", "-p",
                    "ActiveState",     "-p",          "SubState",      "--", unit};
        req.max_output = 4096;
        const ProcessResult r = runProcess(req, clock, timeout);
        if (!r.started || r.timed_out || r.exit_code != 0) {
          ProbeOutcome o = evaluatePluginResult(r);
          o.raw_status = HealthStatus::Unknown;
          o.failure_kind = FailureKind::None;
          o.message = "systemctl show " + unit + " failed: " + o.message;
          return o;
        }
        auto o = evaluateSystemdShow(unit, r.output);
        o.latency = r.duration;
        return o;
      },
      queue);
}

}  // namespace vitals::agent
