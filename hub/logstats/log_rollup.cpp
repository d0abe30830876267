#include "hub/logstats/log_rollup.hpp"

#include <algorithm>
#include <charconv>

namespace vitals::hub::logstats {
namespace {

using std::chrono::hours;

SystemTime maxTime(SystemTime a, SystemTime b) { return a < b ? b : a; }

struct TopAcc {
  std::int64_t count = 0;
  SystemTime first{SystemTime::max()};
  SystemTime last{SystemTime::min()};
};

void addTop(std::map<std::string, TopAcc>& acc, const std::string& message, std::int64_t count,
            SystemTime first, SystemTime last) {
  auto& a = acc[message];
  a.count += count;
  a.first = std::min(a.first, first);
  a.last = std::max(a.last, last);
}

std::vector<TopMessage> topList(const std::map<std::string, TopAcc>& acc, std::size_t limit) {
  std::vector<TopMessage> out;
  out.reserve(acc.size());
  for (const auto& [message, a] : acc) {
    out.push_back({message, a.count, a.first, a.last});
  }
  std::sort(out.begin(), out.end(), [](const TopMessage& x, const TopMessage& y) {
    return x.count != y.count ? x.count > y.count : x.message < y.message;
  });
  if (out.size() > limit) {
    out.resize(limit);
  }
  return out;
}

void addLevel(ServiceRollup& r, const std::string& level, std::int64_t n) {
  r.levels[level] += n;
  if (level == "error") {
    r.errors += n;
  } else if (level == "warn") {
    r.warnings += n;
  }
}

}  // namespace

std::string_view toString(Granularity g) { return g == Granularity::Hour ? "hour" : "day"; }

std::chrono::hours periodLength(Granularity g) {
  return g == Granularity::Hour ? hours{1} : hours{24};
}

SystemTime floorHour(SystemTime t) { return std::chrono::floor<hours>(t); }

SystemTime floorDay(SystemTime t) { return std::chrono::floor<std::chrono::days>(t); }

SystemTime ceilDay(SystemTime t) { return std::chrono::ceil<std::chrono::days>(t); }

std::vector<SystemTime> duePeriods(Granularity g, std::optional<SystemTime> last_done,
                                   SystemTime first, SystemTime earliest, SystemTime now,
                                   std::size_t max) {
  const auto len = periodLength(g);
  const auto align = [g](SystemTime t) {
    return g == Granularity::Hour ? floorHour(t) : floorDay(t);
  };
  SystemTime p = last_done ? align(*last_done) + len : align(first);
  // Periods that started before `earliest` are past retention: start at the first one after.
  if (p < earliest) {
    p = align(earliest) == earliest ? earliest : align(earliest) + len;
  }
  std::vector<SystemTime> out;
  for (; p + len <= now && out.size() < max; p += len) {
    out.push_back(p);
  }
  return out;
}

std::vector<SystemTime> dueDays(std::optional<SystemTime> last_day_done,
                                std::optional<SystemTime> first_hour_done,
                                std::optional<SystemTime> hours_done_until, SystemTime earliest,
                                std::size_t max) {
  std::vector<SystemTime> out;
  if (!hours_done_until || (!last_day_done && !first_hour_done)) {
    return out;
  }
  SystemTime d = last_day_done ? floorDay(*last_day_done) + hours{24} : ceilDay(*first_hour_done);
  d = maxTime(d, ceilDay(earliest));
  for (; d + hours{24} <= *hours_done_until && out.size() < max; d += hours{24}) {
    out.push_back(d);
  }
  return out;
}

double errorRate(std::int64_t errors, std::int64_t lines) {
  return lines > 0 ? static_cast<double>(errors) / static_cast<double>(lines) : 0.0;
}

std::optional<std::pair<std::int64_t, std::string>> parseTopValue(std::string_view value) {
  const auto x = value.find("x ");
  if (x == std::string_view::npos || x == 0) {
    return std::nullopt;
  }
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + x, n);
  if (ec != std::errc{} || end != value.data() + x || n <= 0) {
    return std::nullopt;
  }
  auto message = value.substr(x + 2);
  if (message.empty()) {
    return std::nullopt;
  }
  return std::make_pair(n, std::string(message));
}

std::vector<ServiceRollup> rollUp(const RawPeriod& raw, std::size_t top_limit) {
  std::map<std::string, ServiceRollup> by_service;
  std::map<std::string, std::map<std::string, TopAcc>> tops;
  for (const auto& c : raw.counts) {
    auto& r = by_service[c.service];
    r.service = c.service;
    if (c.key == "lines") {
      r.lines += c.sum;
      r.results += c.results;
    } else if (c.key.rfind("count.", 0) == 0 && c.key.size() > 6) {
      addLevel(r, c.key.substr(6), c.sum);
    }
  }
  for (const auto& t : raw.tops) {
    auto parsed = parseTopValue(t.value);
    if (!parsed) {
      continue;
    }
    by_service[t.service].service = t.service;
    addTop(tops[t.service], parsed->second, parsed->first * t.results, t.first_seen, t.last_seen);
  }
  std::vector<ServiceRollup> out;
  out.reserve(by_service.size());
  for (auto& [service, r] : by_service) {
    if (auto it = tops.find(service); it != tops.end()) {
      r.top = topList(it->second, top_limit);
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<ServiceRollup> merge(const std::vector<ServiceRollup>& parts, std::size_t top_limit) {
  std::map<std::string, ServiceRollup> by_service;
  std::map<std::string, std::map<std::string, TopAcc>> tops;
  for (const auto& p : parts) {
    auto& r = by_service[p.service];
    r.service = p.service;
    r.results += p.results;
    r.lines += p.lines;
    for (const auto& [level, n] : p.levels) {
      addLevel(r, level, n);
    }
    for (const auto& m : p.top) {
      addTop(tops[p.service], m.message, m.count, m.first_seen, m.last_seen);
    }
  }
  std::vector<ServiceRollup> out;
  out.reserve(by_service.size());
  for (auto& [service, r] : by_service) {
    if (auto it = tops.find(service); it != tops.end()) {
      r.top = topList(it->second, top_limit);
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace vitals::hub::logstats
