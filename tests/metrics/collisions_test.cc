// no_at_fault_collisions on hand-built contacts: categories and thresholds.
#include "metrics/collisions.h"

#include <catch2/catch.hpp>

#include "tests/support/synthetic.h"
#include "tests/support/trace_builder.h"

namespace tarmac {
namespace {

// One lane along y = 0; four agents (two cones, a car, a pedestrian), all far
// away until a test moves them.
std::shared_ptr<const ScenarioModel> Road() {
  v1::Scenario s = testing::StraightRoad(400.0, 1, 15.0, 50, 100.0, 5.0);
  testing::AddStraightTrack(&s, "cone1", v1::TRACK_TYPE_STATIC, 300, 50, 0.0, 0.5, 0.5);
  testing::AddStraightTrack(&s, "cone2", v1::TRACK_TYPE_STATIC, 300, 60, 0.0, 0.5, 0.5);
  testing::AddStraightTrack(&s, "car", v1::TRACK_TYPE_VEHICLE, 300, 70, 0.0);
  testing::AddStraightTrack(&s, "ped", v1::TRACK_TYPE_PEDESTRIAN, 300, 80, 0.0, 0.6, 0.6);
  auto m = ScenarioModel::Build(s);
  REQUIRE(m.ok());
  return *m;
}

CollisionSummary Score(const ScenarioModel& m, const testing::TraceBuilder& b) {
  MetricEvents events;
  return ScoreCollisions(m, b.result.trace, MetricParams{}, &events);
}

TEST_CASE("No at-fault collisions: none is 1", "[metrics][collisions]") {
  const auto m = Road();
  testing::TraceBuilder b(*m);
  for (int k = 0; k < 5; ++k) b.Step(100 + 0.5 * k, 0, 0, 5);
  const CollisionSummary c = Score(*m, b);
  CHECK(c.score == 1.0);
  CHECK(c.total == 0);
}

TEST_CASE("No at-fault collisions: one static object halves, two zero", "[metrics][collisions]") {
  const auto m = Road();
  testing::TraceBuilder one(*m);
  one.Agent(0, 103.0, 0, 0, 0, 0);  // a cone just ahead of the front bumper
  for (int k = 0; k < 5; ++k) one.Step(100 + 0.5 * k, 0, 0, 5);
  CollisionSummary c = Score(*m, one);
  CHECK(c.total == 1);
  CHECK(c.at_fault_objects == 1);
  CHECK(c.score == 0.5);
  testing::TraceBuilder two(*m);
  two.Agent(0, 103.0, 0.4, 0, 0, 0);
  two.Agent(1, 103.0, -0.4, 0, 0, 0);
  for (int k = 0; k < 5; ++k) two.Step(100 + 0.5 * k, 0, 0, 5);
  c = Score(*m, two);
  CHECK(c.at_fault_objects == 2);
  CHECK(c.score == 0.0);
}

TEST_CASE("No at-fault collisions: one vehicle or pedestrian at fault is 0", "[metrics][collisions]") {
  const auto m = Road();
  testing::TraceBuilder car(*m);
  car.Agent(2, 106.0, 0, 0, 1.0, 0);  // slower car ahead: the ego's front hits it
  for (int k = 0; k < 8; ++k) {
    car.Agent(2, 106.0 + 0.1 * k, 0, 0, 1.0, 0);
    car.Step(100 + 0.5 * k, 0, 0, 5);
  }
  CHECK(Score(*m, car).at_fault_vehicles == 1);
  CHECK(Score(*m, car).score == 0.0);
  testing::TraceBuilder ped(*m);
  ped.Agent(3, 104.0, 0, 1.5, 0, 1.0);  // crossing in front, moving
  for (int k = 0; k < 6; ++k) ped.Step(100 + 0.5 * k, 0, 0, 5);
  CHECK(Score(*m, ped).at_fault_vrus == 1);
  CHECK(Score(*m, ped).score == 0.0);
}

TEST_CASE("No at-fault collisions: rear-ended, or hit while stopped, is not the ego's fault",
          "[metrics][collisions]") {
  const auto m = Road();
  testing::TraceBuilder rear(*m);
  for (int k = 0; k < 6; ++k) {
    rear.Agent(2, 93.0 + 1.0 * k, 0, 0, 10.0, 0);  // faster car from behind
    rear.Step(100 + 0.5 * k, 0, 0, 5);
  }
  CollisionSummary c = Score(*m, rear);
  CHECK(c.total == 1);
  CHECK(c.at_fault == 0);
  CHECK(c.score == 1.0);
  testing::TraceBuilder stopped(*m);
  for (int k = 0; k < 6; ++k) {
    stopped.Agent(2, 107.0 - 0.5 * k, 0, 3.14159, -5.0, 0);  // oncoming into a standing ego
    stopped.Step(100, 0, 0, 0.0);
  }
  c = Score(*m, stopped);
  CHECK(c.total == 1);
  CHECK(c.score == 1.0);
}

}  // namespace
}  // namespace tarmac
