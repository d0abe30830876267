#pragma once
// Counters and gauges exported on /metrics in the Prometheus text format. One registry per
// process, owned by the composition root and passed by reference (no global registry).
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace vitals::metrics {

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A Prometheus summary: quantiles the owner computes (for example over a sliding window) and sets,
// plus _sum and _count over every observation since start. observe() and setQuantile() may be
// called from any thread.
class Summary {
 public:
  explicit Summary(std::vector<double> quantiles);
  void observe(double v) {
    sum_.fetch_add(v, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
  }
  // index into the quantiles given at construction; out of range is ignored.
  void setQuantile(std::size_t index, double v);
  const std::vector<double>& quantiles() const { return quantiles_; }
  double quantileValue(std::size_t index) const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> quantiles_;
  std::unique_ptr<std::atomic<double>[]> values_;
  std::atomic<double> sum_{0};
  std::atomic<std::uint64_t> count_{0};
};

// One series of a collected family: its labels (formatted as for Registry::counter) and value.
using Sample = std::pair<std::string, double>;

class Registry {
 public:
  // Returns the same object for the same name+labels. labels: `check="web",agent="a"` (already
  // formatted; values must not contain quotes).
  Counter& counter(const std::string& name, const std::string& help,
                   const std::string& labels = "");
  Gauge& gauge(const std::string& name, const std::string& help, const std::string& labels = "");
  // A summary whose quantile series are `quantiles` (for example {0.5, 0.99, 1}); `labels` are
  // added to every series. The same name+labels returns the same object (its quantiles unchanged).
  Summary& summary(const std::string& name, const std::string& help, std::vector<double> quantiles,
                   const std::string& labels = "");
  // A gauge family computed at each render: `collect` returns its series. It runs on the
  // rendering thread without the registry's lock held, so it may take its owner's locks.
  void collectGauges(const std::string& name, const std::string& help,
                     std::function<std::vector<Sample>()> collect);
  std::string render() const;

 private:
  enum class Type { Counter, Gauge, Summary };
  struct Family {
    std::string help;
    Type type = Type::Counter;
    // Values live in the map nodes (stable addresses): one allocation per series, not two.
    std::map<std::string, Counter> counters;
    std::map<std::string, Gauge> gauges;
    std::map<std::string, Summary> summaries;
  };
  struct Collected {
    std::string help;
    std::function<std::vector<Sample>()> collect;
  };
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
  std::map<std::string, Collected> collected_;
};

}  // namespace vitals::metrics
