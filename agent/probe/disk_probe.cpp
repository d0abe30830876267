#include "agent/probe/disk_probe.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "agent/probe/blocking_probe.hpp"

namespace vitals::agent {
namespace {

std::string percentText(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", p);
  return buf;
}

// Writes, fsyncs and deletes a 4 KiB file in dir. Returns an error text or nullopt.
std::optional<std::string> writeTest(const std::string& dir) {
  std::string path = dir + "/.vitals-write-test-XXXXXX";
  const int fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) {
    return "write test: cannot create a file in " + dir + ": " + std::strerror(errno);
  }
  char block[4096];
  std::memset(block, 'v', sizeof block);
  std::optional<std::string> error;
  if (::write(fd, block, sizeof block) != static_cast<ssize_t>(sizeof block)) {
    error = "write test: write failed in " + dir + ": " + std::strerror(errno);
  } else if (::fsync(fd) != 0) {
    error = "write test: fsync failed in " + dir + ": " + std::strerror(errno);
  }
  ::close(fd);
  if (::unlink(path.c_str()) != 0 && !error) {
    error = "write test: cannot delete " + path + ": " + std::strerror(errno);
  }
  return error;
}

}  // namespace

std::string formatBytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  }
  return buf;
}

ProbeOutcome evaluateDisk(const DiskCheckSpec& spec, const DiskUsage& usage,
                          const std::optional<std::string>& write_error) {
  ProbeOutcome o;
  const double free_pct =
      usage.total_bytes == 0
          ? 100.0
          : 100.0 * static_cast<double>(usage.free_bytes) / static_cast<double>(usage.total_bytes);
  const bool has_inodes = usage.total_inodes != 0;
  const double inode_pct = has_inodes ? 100.0 * static_cast<double>(usage.free_inodes) /
                                            static_cast<double>(usage.total_inodes)
                                      : 100.0;
  o.details["path"] = spec.path;
  o.details["free_bytes"] = std::to_string(usage.free_bytes);
  o.details["total_bytes"] = std::to_string(usage.total_bytes);
  o.details["free_percent"] = percentText(free_pct);
  if (has_inodes) {
    o.details["free_inodes"] = std::to_string(usage.free_inodes);
    o.details["free_inodes_percent"] = percentText(inode_pct);
  }

  HealthStatus status = HealthStatus::Healthy;
  std::string why;
  auto judge = [&](bool crit, bool warn, const std::string& text) {
    if (crit) {
      if (status != HealthStatus::Down) {
        why.clear();
      }
      status = HealthStatus::Down;
      why += (why.empty() ? "" : "; ") + text;
    } else if (warn && status != HealthStatus::Down) {
      status = HealthStatus::Degraded;
      why += (why.empty() ? "" : "; ") + text;
    }
  };
  const std::string space = formatBytes(usage.free_bytes) + " free (" + percentText(free_pct) +
                            ") of " + formatBytes(usage.total_bytes);
  judge(free_pct < spec.crit_free_percent, free_pct < spec.warn_free_percent, space);
  judge(spec.crit_free_bytes != 0 && usage.free_bytes < spec.crit_free_bytes,
        spec.warn_free_bytes != 0 && usage.free_bytes < spec.warn_free_bytes,
        space + ", threshold " +
            formatBytes(usage.free_bytes < spec.crit_free_bytes ? spec.crit_free_bytes
                                                                : spec.warn_free_bytes));
  if (has_inodes) {
    judge(inode_pct < spec.crit_free_inodes_percent, inode_pct < spec.warn_free_inodes_percent,
          std::to_string(usage.free_inodes) + " inodes free (" + percentText(inode_pct) + ")");
  }
  if (write_error) {
    status = HealthStatus::Down;
    why = *write_error;
  }
  o.raw_status = status;
  if (status == HealthStatus::Down) {
    o.failure_kind = FailureKind::Unexpected;
  }
  if (status == HealthStatus::Healthy) {
    o.message = spec.path + ": " + space + (spec.write_test ? ", write test ok" : "");
  } else {
    o.message = spec.path + ": " + why;
  }
  return o;
}

std::unique_ptr<Probe> makeDiskProbe(DiskCheckSpec spec, Clock& clock, WorkQueue& queue) {
  const std::string target = spec.path;
  return std::make_unique<BlockingProbe>(
      "disk", target,
      [spec = std::move(spec), &clock](std::chrono::milliseconds) {
        const SteadyTime start = clock.steadyNow();
        struct statvfs st{};
        if (::statvfs(spec.path.c_str(), &st) != 0) {
          return ProbeOutcome::down(FailureKind::Error, std::chrono::microseconds{0},
                                    "statvfs " + spec.path + ": " + std::strerror(errno));
        }
        DiskUsage u;
        u.total_bytes = static_cast<std::uint64_t>(st.f_blocks) * st.f_frsize;
        u.free_bytes = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
        u.total_inodes = st.f_files;
        u.free_inodes = st.f_favail;
        std::optional<std::string> write_error;
        if (spec.write_test) {
          write_error = writeTest(spec.write_dir.empty() ? spec.path : spec.write_dir);
        }
        auto o = evaluateDisk(spec, u, write_error);
        o.latency =
            std::chrono::duration_cast<std::chrono::microseconds>(clock.steadyNow() - start);
        return o;
      },
      queue);
}

}  // namespace vitals::agent
