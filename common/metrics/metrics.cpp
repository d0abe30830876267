#include "common/metrics/metrics.hpp"

#include <fmt/format.h>

#include <sstream>

namespace vitals::metrics {

Counter& Registry::counter(const std::string& name, const std::string& help,
                           const std::string& labels) {
  std::lock_guard lock(mu_);
  auto& fam = families_[name];
  fam.help = help;
  fam.is_counter = true;
  return fam.counters.try_emplace(labels).first->second;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help,
                       const std::string& labels) {
  std::lock_guard lock(mu_);
  auto& fam = families_[name];
  fam.help = help;
  fam.is_counter = false;
  return fam.gauges.try_emplace(labels).first->second;
}

std::string Registry::render() const {
  std::lock_guard lock(mu_);
  std::ostringstream out;
  for (const auto& [name, fam] : families_) {
    out << "# HELP " << name << ' ' << fam.help << '\n';
    out << "# TYPE " << name << ' ' << (fam.is_counter ? "counter" : "gauge") << '\n';
    // Named capture: clang 14 cannot capture a structured binding.
    auto series = [&, &family = name](const std::string& labels) {
      return labels.empty() ? family : family + "{" + labels + "}";
    };
    for (const auto& [labels, c] : fam.counters) {
      out << series(labels) << ' ' << c.value() << '\n';
    }
    for (const auto& [labels, g] : fam.gauges) {
      // Shortest round-trip form: a unix-time gauge keeps all its digits (ostream's default
      // 6 significant digits would print 1.79529e+09).
      out << series(labels) << ' ' << fmt::format("{}", g.value()) << '\n';
    }
  }
  return out.str();
}

}  // namespace vitals::metrics
