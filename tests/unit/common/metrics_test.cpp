#include <catch2/catch.hpp>

#include "common/metrics/metrics.hpp"

TEST_CASE("metrics render in the Prometheus text format with labels", "[common][unit]") {
  vitals::metrics::Registry reg;
  reg.counter("vitals_x_total", "X things").inc(3);
  reg.counter("vitals_y_total", "Y things", "check=\"web\"").inc();
  reg.gauge("vitals_z", "Z level").set(1.5);
  CHECK(&reg.counter("vitals_x_total", "X things") == &reg.counter("vitals_x_total", "X things"));
  const auto text = reg.render();
  CHECK_THAT(text, Catch::Contains("# TYPE vitals_x_total counter\nvitals_x_total 3\n"));
  CHECK_THAT(text, Catch::Contains("vitals_y_total{check=\"web\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("# TYPE vitals_z gauge\nvitals_z 1.5\n"));
}
