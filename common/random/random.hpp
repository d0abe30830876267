#pragma once
#include <cstdint>
#include <random>
#include <string>

namespace vitals {

// Source of randomness (jitter, start offsets, boot ids); injected so tests are deterministic.
class Random {
 public:
  virtual ~Random() = default;
  // Uniform in [0, 1).
  virtual double uniform() = 0;
  virtual std::uint64_t next64() = 0;
  // Uniform in [lo, hi] (inclusive); lo <= hi.
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    if (hi <= lo) {
      return lo;
    }
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int64_t>(next64() % span);
  }
  // 128 random bits as 32 lowercase hex characters.
  std::string hexId() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (int w = 0; w < 2; ++w) {
      std::uint64_t v = next64();
      for (int i = 0; i < 16; ++i) {
        out.push_back(kHex[v & 0xf]);
        v >>= 4;
      }
    }
    return out;
  }
};

class StdRandom final : public Random {
 public:
  StdRandom() : gen_(std::random_device{}()) {}
  explicit StdRandom(std::uint64_t seed) : gen_(seed) {}
  double uniform() override { return std::uniform_real_distribution<double>(0.0, 1.0)(gen_); }
  std::uint64_t next64() override { return gen_(); }

 private:
  std::mt19937_64 gen_;
};

// Always returns the same fraction (0 = lower bound of every range, 0.999.. = upper).
class FixedRandom final : public Random {
 public:
  explicit FixedRandom(double fraction) : fraction_(fraction) {}
  double uniform() override { return fraction_; }
  std::uint64_t next64() override { return ++counter_; }

 private:
  double fraction_;
  std::uint64_t counter_ = 0;
};

}  // namespace vitals
