#pragma once
// A probe checks one target. Probes are created per check by a ProbeRegistry factory.
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "agent/probe/probe_outcome.hpp"

namespace vitals::agent {

class Probe {
 public:
  using Done = std::function<void(ProbeOutcome)>;
  virtual ~Probe() = default;
  virtual std::string_view kind() const = 0;
  // Human-readable target (URL, host:port), for logs and the Registration.
  virtual std::string target() const = 0;
  // Starts one run; called on the loop thread. done is called exactly once, on the loop thread,
  // and never from inside run(). The probe should give up by itself near `timeout`; the
  // scheduler enforces the timeout anyway and ignores a late done. done may outlive the probe's
  // caller's interest but must not outlive the loop.
  virtual void run(std::chrono::milliseconds timeout, Done done) = 0;
};

}  // namespace vitals::agent
