#pragma once
// systemd: a unit's ActiveState/SubState via `systemctl show` (run as a process, no shell).
// Where systemd is not PID 1 the outcome is UNKNOWN with a message that says so.
#include <memory>
#include <string>
#include <string_view>

#include "agent/config/kind_specs.hpp"
#include "agent/probe/probe.hpp"
#include "agent/runtime/work_queue.hpp"
#include "common/time/clock.hpp"

namespace vitals::agent {

// Pure: judges `systemctl show -p LoadState -p ActiveState -p SubState` output.
// active -> healthy; activating/reloading/deactivating -> degraded; inactive/failed or a unit
// that is not loaded -> down.
ProbeOutcome evaluateSystemdShow(const std::string& unit, std::string_view output);

// Options for tests: where to look for a running systemd, and the systemctl binary.
struct SystemdProbeOptions {
  std::string booted_marker = "/run/systemd/system";  // sd_booted(3)
  std::string systemctl = "systemctl";
};

std::unique_ptr<Probe> makeSystemdProbe(SystemdCheckSpec spec, Clock& clock, WorkQueue& queue,
                                        SystemdProbeOptions options = {});

}  // namespace vitals::agent
