#pragma once
// disk: free space and free inodes of the file system holding `path`, against thresholds, and
// an optional write test (write + fsync + delete a small file). statvfs runs on the worker pool
// (a hung NFS mount must not stop the loop).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "agent/config/kind_specs.hpp"
#include "agent/probe/probe.hpp"
#include "agent/runtime/work_queue.hpp"
#include "common/time/clock.hpp"

namespace vitals::agent {

struct DiskUsage {
  std::uint64_t total_bytes = 0;
  std::uint64_t free_bytes = 0;  // available to unprivileged users
  std::uint64_t total_inodes = 0;  // 0: the file system has no inode limit
  std::uint64_t free_inodes = 0;
};

// Pure: judges usage against the spec; write_error (when a write test ran and failed) makes it
// DOWN.
ProbeOutcome evaluateDisk(const DiskCheckSpec& spec, const DiskUsage& usage,
                          const std::optional<std::string>& write_error);

// "1.5 GiB": how sizes appear in messages.
std::string formatBytes(std::uint64_t bytes);

std::unique_ptr<Probe> makeDiskProbe(DiskCheckSpec spec, Clock& clock, WorkQueue& queue);

}  // namespace vitals::agent
