// The JSON the API returns for stored results: plugin perfdata parsed next to the raw string.
#include <catch2/catch.hpp>

#include "hub/api/json_views.hpp"
#include "tests/support/sample_result.hpp"

using namespace vitals;
using vitals::hub::api::perfJson;
using vitals::hub::api::resultJson;

TEST_CASE("a stored result with plugin perfdata carries the parsed values beside the raw string",
          "[hub][unit][api]") {
  hub::store::StoredResult stored;
  stored.result = test::sampleResult(7);
  stored.result.details["perfdata"] = "time=0.12s;0.5;1;0 'rx bytes'=2048B;;;0;65536";
  stored.received_at = stored.result.observed_at;

  const auto j = resultJson(stored);
  CHECK(j["details"]["perfdata"] == stored.result.details["perfdata"]);
  REQUIRE(j.contains("perf"));
  const auto& values = j["perf"]["values"];
  REQUIRE(values.size() == 2);
  CHECK(values[0]["label"] == "time");
  CHECK(values[0]["value"].get<double>() == Approx(0.12));
  CHECK(values[0]["unit"] == "s");
  CHECK(values[0]["warn"] == "0.5");
  CHECK(values[0]["crit"] == "1");
  CHECK(values[0]["min"].get<double>() == 0);
  CHECK(values[0]["max"].is_null());
  CHECK(values[1]["label"] == "rx bytes");
  CHECK(values[1]["unit"] == "B");
  CHECK(values[1]["max"].get<double>() == 65536);
  CHECK_FALSE(j["perf"].contains("problems"));
}

TEST_CASE("a result without perfdata has no perf field, and bad items are named, not fatal",
          "[hub][unit][api]") {
  hub::store::StoredResult stored;
  stored.result = test::sampleResult(8);
  CHECK_FALSE(resultJson(stored).contains("perf"));

  const auto j = perfJson("ok=1 broken load=U;5;10");
  REQUIRE(j["values"].size() == 2);
  CHECK(j["values"][1]["label"] == "load");
  CHECK(j["values"][1]["value"].is_null());
  REQUIRE(j.contains("problems"));
  CHECK(j["problems"].size() == 1);
  CHECK(j["problems"][0].get<std::string>().find("broken") != std::string::npos);
}
