#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/state/flap_detector.hpp"

using namespace vitals;
using namespace vitals::agent;

namespace {

// "HDHD..." -> statuses (H healthy, D down, G degraded, U unknown).
std::vector<HealthStatus> statuses(const std::string& s) {
  std::vector<HealthStatus> out;
  for (char c : s) {
    switch (c) {
      case 'H':
        out.push_back(HealthStatus::Healthy);
        break;
      case 'D':
        out.push_back(HealthStatus::Down);
        break;
      case 'G':
        out.push_back(HealthStatus::Degraded);
        break;
      default:
        out.push_back(HealthStatus::Unknown);
        break;
    }
  }
  return out;
}

// Feeds every status in order; returns the final state and the events seen, as a string of
// '.' (none), 'S' (started), 'E' (stopped).
std::pair<FlapState, std::string> feed(const std::string& s, FlapSettings settings = {}) {
  FlapState state;
  std::string events;
  for (auto status : statuses(s)) {
    auto u = updateFlap(state, status, settings);
    state = u.state;
    events += u.event == FlapEvent::Started ? 'S' : u.event == FlapEvent::Stopped ? 'E' : '.';
  }
  return {state, events};
}

}  // namespace

TEST_CASE("flap percent weighs each change from 0.8 (oldest) to 1.2 (newest) of a 20-change window",
          "[agent][unit][flap]") {
  struct Row {
    std::string history;
    double percent;
  };
  const auto row = GENERATE(values<Row>({
      {"", 0.0},
      {"H", 0.0},
      {"HHHHHHHHHHHHHHHHHHHHH", 0.0},
      {"HD", 6.0},                     // one change, the newest: 1.2 / 20
      {"HDHDHDHDHDHDHDHDHDHDH", 100.0},  // every one of 20 changes
      {"DHHHHHHHHHHHHHHHHHHHH", 4.0},  // only the oldest change: 0.8 / 20
      {"HHHHHHHHHHHHHHHHHHHHD", 6.0},  // only the newest
      {"HGHHHHHHHHHHHHHHHHHHH", 8.0},  // changes 0 and 1: (0.8 + 0.8211) / 20, rounded below
  }));
  INFO(row.history);
  CHECK(flapPercent(statuses(row.history)) == Approx(row.percent).margin(0.2));
}

TEST_CASE("a check starts flapping at flap_high and stops only below flap_low",
          "[agent][unit][flap]") {
  struct Row {
    std::string name;
    std::string history;
    std::string events;
    bool flapping;
  };
  const auto row = GENERATE(values<Row>({
      {"steady never flaps", "HHHHHHHHHHHHHHHHHHHHHHHHH", ".........................", false},
      {"a single outage is not flapping", "HHHHHDDDDDHHHHH", "...............", false},
      // Alternating from the start: 9 changes in the newest slots weigh 10.04 of 20 (50.2%) at
      // the 10th result.
      {"alternating starts flapping", "HDHDHDHDHDHDHDHD", ".........S......", true},
      // Calm after flapping: percent falls as the changes age out; stops below 25%.
      {"calm stops it below the low threshold",
       "HDHDHDHDHDHDHDHDHDHDHHHHHHHHHHHHHHHH", ".........S.........................E", false},
  }));
  INFO(row.name);
  auto [state, events] = feed(row.history);
  CHECK(events == row.events);
  CHECK(state.flapping == row.flapping);
  CHECK(state.history.size() == std::min<std::size_t>(row.history.size(), kFlapWindow));
}

TEST_CASE("flap thresholds are the check's own", "[agent][unit][flap]") {
  FlapSettings sensitive{20.0, 10.0};
  auto [state, events] = feed("HHHHHDHDHD", sensitive);
  CHECK(state.flapping);
  CHECK(events.find('S') != std::string::npos);
  auto [calm, calm_events] = feed("HHHHHDHDHD");
  CHECK_FALSE(calm.flapping);
}
