// kind: disk — see docs/configuration-agent.md "kind: disk".
#include "agent/config/kinds/kind_readers.hpp"

namespace vitals::agent::kinds {
namespace {

// A percentage 0..100 written as a number.
std::optional<double> readPercent(config::YamlReader& c, const std::string& key) {
  auto text = c.str(key);
  if (!text) {
    return std::nullopt;
  }
  try {
    std::size_t used = 0;
    const double v = std::stod(*text, &used);
    if (used == text->size() && v >= 0 && v <= 100) {
      return v;
    }
  } catch (const std::exception&) {
  }
  c.problem(key, "must be a number from 0 to 100; got \"" + *text + "\"");
  return std::nullopt;
}

void pair(config::YamlReader& c, const std::string& warn_key, const std::string& crit_key,
          double& warn, double& crit) {
  if (auto v = readPercent(c, warn_key)) warn = *v;
  if (auto v = readPercent(c, crit_key)) crit = *v;
  if (crit > warn) {
    c.problem(crit_key, "must not be above " + warn_key);
  }
}

}  // namespace

void readDisk(config::YamlReader& c, const LoadOptions&, CheckConfig& check) {
  DiskCheckSpec disk;
  if (auto path = c.str("path")) {
    if (path->empty() || (*path)[0] != '/') {
      c.problem("path", "must be an absolute path");
    }
    disk.path = *path;
  } else {
    c.problem("path", "is required for kind disk");
  }
  pair(c, "warn_free_percent", "crit_free_percent", disk.warn_free_percent,
       disk.crit_free_percent);
  pair(c, "warn_free_inodes_percent", "crit_free_inodes_percent", disk.warn_free_inodes_percent,
       disk.crit_free_inodes_percent);
  constexpr std::int64_t kMaxBytes = std::int64_t{1} << 60;
  disk.warn_free_bytes = static_cast<std::uint64_t>(c.integer("warn_free_bytes", 0, 0, kMaxBytes));
  disk.crit_free_bytes = static_cast<std::uint64_t>(c.integer("crit_free_bytes", 0, 0, kMaxBytes));
  if (disk.warn_free_bytes != 0 && disk.crit_free_bytes > disk.warn_free_bytes) {
    c.problem("crit_free_bytes", "must not be above warn_free_bytes");
  }
  disk.write_test = c.boolean("write_test", false);
  disk.write_dir = c.str("write_dir", "");
  if (!disk.write_dir.empty()) {
    if (disk.write_dir[0] != '/') {
      c.problem("write_dir", "must be an absolute path");
    }
    if (!disk.write_test) {
      c.problem("write_dir", "needs write_test: true");
    }
  }
  check.spec = std::move(disk);
}

}  // namespace vitals::agent::kinds
