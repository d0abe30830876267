#include <catch2/catch.hpp>

#include "hub/state/service_status_metrics.hpp"

using namespace vitals;
using namespace vitals::hub::state;

TEST_CASE("vitals_service_status has one series per status, 1 only for the current one",
          "[hub][unit]") {
  ServiceState web;
  web.name = "web";
  web.status = HealthStatus::Down;
  ServiceState odd;
  odd.name = "a\"b\\c";
  odd.status = HealthStatus::Healthy;
  const auto samples = serviceStatusSamples({web, odd});
  REQUIRE(samples.size() == 8);
  double down = -1;
  double healthy = -1;
  double sum = 0;
  for (const auto& [labels, value] : samples) {
    sum += value;
    if (labels == "service=\"web\",status=\"down\"") {
      down = value;
    }
    if (labels == "service=\"a\\\"b\\\\c\",status=\"healthy\"") {
      healthy = value;
    }
  }
  CHECK(down == 1.0);
  CHECK(healthy == 1.0);
  CHECK(sum == 2.0);
}
