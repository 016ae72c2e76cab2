// The scenario score: multipliers times the weighted average.
#include "metrics/scenario_metrics.h"

#include <catch2/catch.hpp>

#include <cmath>

#include "tests/support/synthetic.h"
#include "tests/support/trace_builder.h"

namespace tarmac {
namespace {

RolloutResult Drive(const ScenarioModel& m, double speed, double y = 0.0) {
  testing::TraceBuilder b(m);
  for (int k = 0; k <= 20; ++k) b.Step(100 + speed * k * 0.1, y, 0, speed);
  return b.result;
}

TEST_CASE("Score: a clean drive at the expert's pace scores 1", "[metrics][score]") {
  auto m = ScenarioModel::Build(testing::StraightRoad(600.0, 1, 15.0, 21, 100.0, 10.0));
  REQUIRE(m.ok());
  const ScenarioMetrics s = ComputeMetrics(**m, Drive(**m, 10.0));
  CHECK(s.score == Approx(1.0));
  CHECK(s.ade == Approx(0.0).margin(1e-9));
  CHECK(std::isnan(s.goal_reached));
}

TEST_CASE("Score: half the progress costs 5/16 of it", "[metrics][score]") {
  auto m = ScenarioModel::Build(testing::StraightRoad(600.0, 1, 15.0, 21, 100.0, 10.0));
  REQUIRE(m.ok());
  const ScenarioMetrics s = ComputeMetrics(**m, Drive(**m, 5.0));
  CHECK(s.progress == Approx(0.5));
  CHECK(s.score == Approx((5 * 0.5 + 5 + 4 + 2) / 16.0));
}

TEST_CASE("Score: a failed multiplier zeroes it", "[metrics][score]") {
  auto m = ScenarioModel::Build(testing::StraightRoad(600.0, 1, 15.0, 21, 100.0, 10.0));
  REQUIRE(m.ok());
  const ScenarioMetrics s = ComputeMetrics(**m, Drive(**m, 10.0, 1.5));  // half a car off the lane
  CHECK(s.drivable_area_compliance == 0.0);
  CHECK(s.score == 0.0);
  CHECK(MetricColumns(s).front().first == "no_at_fault_collisions");
}

}  // namespace
}  // namespace tarmac
