// Drivable area, driving direction, speed limit and red lights at their thresholds.
#include "metrics/compliance.h"

#include <catch2/catch.hpp>

#include <numbers>

#include "tests/support/synthetic.h"
#include "tests/support/trace_builder.h"

namespace tarmac {
namespace {

// One eastbound lane (y in [-1.75, 1.75]), speed limit 10 m/s.
std::shared_ptr<const ScenarioModel> OneLane(int steps = 40) {
  v1::Scenario s = testing::StraightRoad(400.0, 1, 10.0, steps, 100.0, 5.0);
  auto m = ScenarioModel::Build(s);
  REQUIRE(m.ok());
  return *m;
}

TEST_CASE("Drivable area: a corner up to 0.3 m outside passes, beyond fails", "[metrics][compliance]") {
  const auto m = OneLane();
  // The ego is 2 m wide: its left corners sit at y + 1; the lane ends at 1.75.
  for (const auto& [y, expect] : {std::pair{1.04, 1.0}, std::pair{1.06, 0.0}}) {
    testing::TraceBuilder b(*m);
    for (int k = 0; k < 3; ++k) b.Step(100 + k, y, 0, 10);
    double worst = 0;
    CHECK(DrivableAreaCompliance(b.result.trace, MetricParams{}, &worst, nullptr) == expect);
    CHECK(worst == Approx(y + 1.0 - 1.75).margin(1e-6));
  }
}

// The ego moves `back` metres against the lane direction over 1 s.
double Direction(double back, double* worst) {
  const auto m = OneLane();
  testing::TraceBuilder b(*m);
  for (int k = 0; k <= 10; ++k) b.Step(200 - back * k / 10.0, 0, std::numbers::pi, back);
  return DrivingDirectionCompliance(b.result.trace, 0.1, MetricParams{}, worst, nullptr);
}

TEST_CASE("Driving direction: < 2 m against traffic is 1, < 6 m 0.5, else 0", "[metrics][compliance]") {
  double worst = 0;
  CHECK(Direction(1.9, &worst) == 1.0);
  CHECK(worst == Approx(1.9));
  CHECK(Direction(2.1, &worst) == 0.5);
  CHECK(Direction(5.9, &worst) == 0.5);
  CHECK(Direction(6.1, &worst) == 0.0);
  // Driving forwards is never against traffic.
  const auto m = OneLane();
  testing::TraceBuilder b(*m);
  for (int k = 0; k <= 30; ++k) b.Step(100 + k, 0, 0, 10);
  CHECK(DrivingDirectionCompliance(b.result.trace, 0.1, MetricParams{}, &worst, nullptr) == 1.0);
  CHECK(worst == 0.0);
}

TEST_CASE("Speed limit: 1 - integrated overspeed / (2.23 m/s x duration)", "[metrics][compliance]") {
  const auto m = OneLane();
  testing::TraceBuilder fast(*m), legal(*m);
  for (int k = 0; k <= 20; ++k) {
    fast.Step(100 + 1.2 * k, 0, 0, 12.0);
    legal.Step(100 + 1.0 * k, 0, 0, 10.0);
  }
  double worst = 0;
  // 21 samples of 2 m/s over: sum = 21 * 2 * 0.1 = 4.2; duration 2.0 s.
  CHECK(SpeedLimitCompliance(*m, fast.result.trace, MetricParams{}, &worst) == Approx(1.0 - 4.2 / (2.23 * 2.0)));
  CHECK(worst == Approx(2.0));
  CHECK(SpeedLimitCompliance(*m, legal.result.trace, MetricParams{}, &worst) == 1.0);
}

TEST_CASE("Red light: crossing the stop point while red counts, on green not", "[metrics][compliance]") {
  for (const v1::SignalState state : {v1::SIGNAL_STATE_STOP, v1::SIGNAL_STATE_GO}) {
    v1::Scenario s = testing::StraightRoad(400.0, 1, 15.0, 40, 100.0, 5.0);
    v1::TrafficLight* light = s.add_traffic_lights();
    light->set_id("signal");
    light->add_lane_ids("lane0");
    light->set_has_stop_point(true);
    light->set_stop_x(150.0);
    light->set_stop_y(0.0);
    for (int k = 0; k < 40; ++k) light->add_states(state);
    auto m = ScenarioModel::Build(s);
    REQUIRE(m.ok());
    testing::TraceBuilder b(**m);
    for (int k = 0; k < 20; ++k) b.Step(140 + k, 0, 0, 10);  // the front bumper passes 150 at x = 147.5
    MetricEvents events;
    const int n = RedLightViolations(**m, b.result.trace, &events);
    CHECK(n == (state == v1::SIGNAL_STATE_STOP ? 1 : 0));
    if (n == 1) CHECK(events.front().step == 8);
  }
}

}  // namespace
}  // namespace tarmac
