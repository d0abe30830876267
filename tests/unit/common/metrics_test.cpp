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

TEST_CASE("a summary renders its quantiles with _sum and _count, as promtool wants",
          "[common][unit]") {
  vitals::metrics::Registry reg;
  auto& s = reg.summary("vitals_lat_seconds", "Lateness", {0.5, 1.0}, "pool=\"a\"");
  s.observe(0.25);
  s.observe(0.75);
  s.setQuantile(0, 0.25);
  s.setQuantile(1, 0.75);
  s.setQuantile(2, 9.0);  // no third quantile: ignored
  CHECK(&reg.summary("vitals_lat_seconds", "Lateness", {0.5}, "pool=\"a\"") == &s);
  const auto text = reg.render();
  CHECK_THAT(text, Catch::Contains("# TYPE vitals_lat_seconds summary\n"
                                   "vitals_lat_seconds{pool=\"a\",quantile=\"0.5\"} 0.25\n"
                                   "vitals_lat_seconds{pool=\"a\",quantile=\"1\"} 0.75\n"
                                   "vitals_lat_seconds_sum{pool=\"a\"} 1\n"
                                   "vitals_lat_seconds_count{pool=\"a\"} 2\n"));
  CHECK_THAT(text, !Catch::Contains("9"));
}

TEST_CASE("collected gauges are computed at each render", "[common][unit]") {
  vitals::metrics::Registry reg;
  int calls = 0;
  reg.collectGauges("vitals_service_status", "Status", [&calls] {
    ++calls;
    return std::vector<vitals::metrics::Sample>{{"service=\"web\",status=\"up\"", 1.0},
                                                {"service=\"web\",status=\"down\"", 0.0}};
  });
  const auto text = reg.render();
  CHECK(calls == 1);
  CHECK_THAT(text, Catch::Contains("# TYPE vitals_service_status gauge\n"
                                   "vitals_service_status{service=\"web\",status=\"up\"} 1\n"
                                   "vitals_service_status{service=\"web\",status=\"down\"} 0\n"));
  reg.render();
  CHECK(calls == 2);
}
