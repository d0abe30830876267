#include "agent/probe/log_probe.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "agent/probe/blocking_probe.hpp"

namespace vitals::agent {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;

constexpr std::size_t kMaxLine = 8192;           // longer lines are cut (the rest is dropped)
constexpr std::size_t kMaxReadPerRun = 16 << 20;  // the rest waits for the next run
constexpr std::size_t kMaxDistinctMessages = 1000;
constexpr std::size_t kMaxTopText = 200;
// Levels that are routine: their lines are counted but are not candidates for "top".
bool routineLevel(const std::string& level) {
  return level == "info" || level == "debug" || level == "trace";
}

std::string rateText(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// The file being followed, kept open between runs.
class LogTail {
 public:
  explicit LogTail(LogCheckSpec spec) : spec_(std::move(spec)), counter_(spec_) {}
  ~LogTail() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }

  ProbeOutcome run(Clock& clock) {
    std::lock_guard<std::mutex> lock(mu_);
    const SteadyTime start = clock.steadyNow();
    counter_.reset();
    bool rotated = false;
    bool truncated = false;
    std::string error;
    if (fd_ >= 0) {
      readAvailable();  // the rest of the file we hold, even if it was renamed away
      struct stat path_st{};
      if (::stat(spec_.path.c_str(), &path_st) == 0 &&
          (path_st.st_ino != ino_ || path_st.st_dev != dev_)) {
        flushPartial();
        ::close(fd_);
        fd_ = -1;
        rotated = true;
        error = open(true);
      } else if (fd_ >= 0) {
        struct stat st{};
        if (::fstat(fd_, &st) == 0 && static_cast<std::uint64_t>(st.st_size) < offset_) {
          truncated = true;
          offset_ = 0;
          partial_.clear();
        }
      }
    } else {
      error = open(!first_ || spec_.from_start);
    }
    if (fd_ >= 0) {
      readAvailable();
    }
    const bool first = first_;
    first_ = false;
    const SteadyTime now = clock.steadyNow();
    const double minutes =
        first ? 0.0
              : std::chrono::duration<double, std::ratio<60>>(now - last_run_).count();
    last_run_ = now;
    if (fd_ < 0) {
      ProbeOutcome o;
      o.raw_status = HealthStatus::Unknown;
      o.message = error;
      o.latency = duration_cast<microseconds>(clock.steadyNow() - start);
      return o;
    }
    ProbeOutcome o = evaluateLogCounts(spec_, counter_, minutes);
    if (first && !spec_.from_start) {
      o.message = "watching " + spec_.path + " from its end";
    }
    if (rotated) {
      o.details["rotated"] = "true";
    }
    if (truncated) {
      o.details["truncated"] = "true";
    }
    o.details["offset"] = std::to_string(offset_);
    o.latency = duration_cast<microseconds>(clock.steadyNow() - start);
    return o;
  }

 private:
  // Opens the path; at_start false: start at its current end.
  std::string open(bool at_start) {
    fd_ = ::open(spec_.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      return "cannot open " + spec_.path + ": " + std::strerror(errno);
    }
    struct stat st{};
    if (::fstat(fd_, &st) != 0) {
      ::close(fd_);
      fd_ = -1;
      return "cannot stat " + spec_.path + ": " + std::strerror(errno);
    }
    ino_ = st.st_ino;
    dev_ = st.st_dev;
    offset_ = at_start ? 0 : static_cast<std::uint64_t>(st.st_size);
    partial_.clear();
    return "";
  }

  void readAvailable() {
    char buf[65536];
    std::size_t total = 0;
    while (total < kMaxReadPerRun) {
      const ssize_t n = ::pread(fd_, buf, sizeof buf, static_cast<off_t>(offset_));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        break;
      }
      offset_ += static_cast<std::uint64_t>(n);
      total += static_cast<std::size_t>(n);
      std::string_view chunk(buf, static_cast<std::size_t>(n));
      while (!chunk.empty()) {
        const auto nl = chunk.find('\n');
        const auto piece = chunk.substr(0, nl);
        if (partial_.size() < kMaxLine) {
          partial_.append(piece.substr(0, kMaxLine - partial_.size()));
        }
        if (nl == std::string_view::npos) {
          break;
        }
        counter_.addLine(partial_);
        partial_.clear();
        chunk.remove_prefix(nl + 1);
      }
    }
  }

  // A file rotated away may end without a newline: its last line still counts.
  void flushPartial() {
    if (!partial_.empty()) {
      counter_.addLine(partial_);
      partial_.clear();
    }
  }

  std::mutex mu_;
  LogCheckSpec spec_;
  LogCounter counter_;
  int fd_ = -1;
  ino_t ino_ = 0;
  dev_t dev_ = 0;
  std::uint64_t offset_ = 0;
  std::string partial_;
  bool first_ = true;
  SteadyTime last_run_{};
};

}  // namespace

std::string normaliseMessage(std::string_view line) {
  std::string out;
  bool in_digits = false;
  for (char ch : line) {
    if (out.size() >= kMaxTopText) {
      break;
    }
    if (ch >= '0' && ch <= '9') {
      if (!in_digits) {
        out += '#';
      }
      in_digits = true;
      continue;
    }
    in_digits = false;
    out += (ch == '\r' || ch == '\t') ? ' ' : ch;
  }
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  return out;
}

LogCounter::LogCounter(const LogCheckSpec& spec) {
  const auto flags = std::regex::ECMAScript | std::regex::icase | std::regex::optimize;
  for (const auto& l : spec.levels) {
    levels_.push_back(Named{l.name, std::regex(l.regex, flags)});
  }
  for (const auto& p : spec.patterns) {
    patterns_.push_back(Named{p.name, std::regex(p.regex, std::regex::ECMAScript)});
  }
  reset();
}

void LogCounter::reset() {
  counts_.clear();
  for (const auto& l : levels_) {
    counts_[l.name] = 0;
  }
  for (const auto& p : patterns_) {
    counts_[p.name] = 0;
  }
  messages_.clear();
  lines_ = 0;
}

void LogCounter::addLine(std::string_view line) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
    return;
  }
  ++lines_;
  bool notable = false;
  for (const auto& l : levels_) {
    if (std::regex_search(line.begin(), line.end(), l.re)) {
      ++counts_[l.name];
      notable = !routineLevel(l.name);
      break;
    }
  }
  for (const auto& p : patterns_) {
    if (std::regex_search(line.begin(), line.end(), p.re)) {
      ++counts_[p.name];
      notable = true;
    }
  }
  if (notable) {
    std::string key = normaliseMessage(line);
    auto it = messages_.find(key);
    if (it != messages_.end()) {
      ++it->second;
    } else if (messages_.size() < kMaxDistinctMessages) {
      messages_.emplace(std::move(key), 1);
    }
  }
}

std::vector<std::pair<std::string, std::uint64_t>> LogCounter::top(std::size_t n) const {
  std::vector<std::pair<std::string, std::uint64_t>> all(messages_.begin(), messages_.end());
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (all.size() > n) {
    all.resize(n);
  }
  return all;
}

ProbeOutcome evaluateLogCounts(const LogCheckSpec& spec, const LogCounter& counter,
                               double minutes) {
  ProbeOutcome o;
  o.details["lines"] = std::to_string(counter.lines());
  for (const auto& [name, count] : counter.counts()) {
    o.details["count." + name] = std::to_string(count);
  }
  std::size_t i = 0;
  for (const auto& [text, count] : counter.top(spec.top)) {
    o.details["top." + std::to_string(++i)] = std::to_string(count) + "x " + text;
  }
  HealthStatus status = HealthStatus::Healthy;
  std::string why;
  if (minutes > 0) {
    auto judge = [&](const std::map<std::string, double>& limits, HealthStatus level) {
      for (const auto& [name, limit] : limits) {
        auto it = counter.counts().find(name);
        const double rate = it == counter.counts().end()
                                ? 0.0
                                : static_cast<double>(it->second) / minutes;
        if (rate > limit && static_cast<int>(level) > static_cast<int>(status)) {
          status = level;
          why = name + " " + rateText(rate) + "/min > " + rateText(limit) + "/min";
        }
      }
    };
    judge(spec.warn_per_minute, HealthStatus::Degraded);
    judge(spec.crit_per_minute, HealthStatus::Down);
  }
  o.raw_status = status;
  if (status == HealthStatus::Down) {
    o.failure_kind = FailureKind::Unexpected;
  }
  std::string summary;
  for (const auto& [name, count] : counter.counts()) {
    summary += (summary.empty() ? "" : ", ") + name + " " + std::to_string(count);
  }
  o.message = std::to_string(counter.lines()) + " lines" +
              (summary.empty() ? "" : " (" + summary + ")") + (why.empty() ? "" : ": " + why);
  return o;
}

std::unique_ptr<Probe> makeLogProbe(LogCheckSpec spec, Clock& clock, WorkQueue& queue) {
  std::string target = spec.path;
  auto tail = std::make_shared<LogTail>(std::move(spec));
  return std::make_unique<BlockingProbe>(
      "log", std::move(target),
      [tail, &clock](std::chrono::milliseconds) { return tail->run(clock); }, queue);
}

}  // namespace vitals::agent
