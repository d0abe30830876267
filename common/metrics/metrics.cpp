#include "common/metrics/metrics.hpp"

#include <fmt/format.h>

#include <sstream>

namespace vitals::metrics {

namespace {
const char* typeName(bool counter) { return counter ? "counter" : "gauge"; }

std::string joinLabels(const std::string& a, const std::string& b) {
  if (a.empty()) {
    return b;
  }
  return b.empty() ? a : a + "," + b;
}
}  // namespace

Summary::Summary(std::vector<double> quantiles)
    : quantiles_(std::move(quantiles)),
      values_(std::make_unique<std::atomic<double>[]>(quantiles_.size())) {}

void Summary::setQuantile(std::size_t index, double v) {
  if (index < quantiles_.size()) {
    values_[index].store(v, std::memory_order_relaxed);
  }
}

double Summary::quantileValue(std::size_t index) const {
  return index < quantiles_.size() ? values_[index].load(std::memory_order_relaxed) : 0.0;
}

Counter& Registry::counter(const std::string& name, const std::string& help,
                           const std::string& labels) {
  std::lock_guard lock(mu_);
  auto& fam = families_[name];
  fam.help = help;
  fam.type = Type::Counter;
  return fam.counters.try_emplace(labels).first->second;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help,
                       const std::string& labels) {
  std::lock_guard lock(mu_);
  auto& fam = families_[name];
  fam.help = help;
  fam.type = Type::Gauge;
  return fam.gauges.try_emplace(labels).first->second;
}

Summary& Registry::summary(const std::string& name, const std::string& help,
                           std::vector<double> quantiles, const std::string& labels) {
  std::lock_guard lock(mu_);
  auto& fam = families_[name];
  fam.help = help;
  fam.type = Type::Summary;
  return fam.summaries.try_emplace(labels, std::move(quantiles)).first->second;
}

void Registry::collectGauges(const std::string& name, const std::string& help,
                             std::function<std::vector<Sample>()> collect) {
  std::lock_guard lock(mu_);
  collected_[name] = Collected{help, std::move(collect)};
}

std::string Registry::render() const {
  std::ostringstream out;
  std::map<std::string, Collected> collected;
  {
    std::lock_guard lock(mu_);
    collected = collected_;
  }
  // Outside the lock: a collector may take its owner's locks, and its owner may bump counters.
  for (const auto& [name, c] : collected) {
    out << "# HELP " << name << ' ' << c.help << '\n';
    out << "# TYPE " << name << " gauge\n";
    for (const auto& [labels, value] : c.collect()) {
      out << (labels.empty() ? name : name + "{" + labels + "}") << ' ' << fmt::format("{}", value)
          << '\n';
    }
  }
  std::lock_guard lock(mu_);
  for (const auto& [name, fam] : families_) {
    out << "# HELP " << name << ' ' << fam.help << '\n';
    if (fam.type == Type::Summary) {
      out << "# TYPE " << name << " summary\n";
      for (const auto& [labels, s] : fam.summaries) {
        for (std::size_t i = 0; i < s.quantiles().size(); ++i) {
          out << name << '{' << joinLabels(labels, fmt::format("quantile=\"{}\"", s.quantiles()[i]))
              << "} " << fmt::format("{}", s.quantileValue(i)) << '\n';
        }
        const std::string suffix = labels.empty() ? "" : "{" + labels + "}";
        out << name << "_sum" << suffix << ' ' << fmt::format("{}", s.sum()) << '\n';
        out << name << "_count" << suffix << ' ' << s.count() << '\n';
      }
      continue;
    }
    out << "# TYPE " << name << ' ' << typeName(fam.type == Type::Counter) << '\n';
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
