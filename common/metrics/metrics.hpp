#pragma once
// Counters and gauges exported on /metrics in the Prometheus text format. One registry per
// process, owned by the composition root and passed by reference (no global registry).
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

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

class Registry {
 public:
  // Returns the same object for the same name+labels. labels: `check="web",agent="a"` (already
  // formatted; values must not contain quotes).
  Counter& counter(const std::string& name, const std::string& help, const std::string& labels = "");
  Gauge& gauge(const std::string& name, const std::string& help, const std::string& labels = "");
  std::string render() const;

 private:
  struct Family {
    std::string help;
    bool is_counter = true;
    // Values live in the map nodes (stable addresses): one allocation per series, not two.
    std::map<std::string, Counter> counters;
    std::map<std::string, Gauge> gauges;
  };
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

}  // namespace vitals::metrics
