// Progress along the expert's route, making progress, goals and the log distance.
#include "metrics/progress.h"

#include <catch2/catch.hpp>

#include <cmath>

#include "tests/support/synthetic.h"
#include "tests/support/trace_builder.h"

namespace tarmac {
namespace {

// The logged ego drives 10 m/s east from x = 100 for 2 s.
std::shared_ptr<const ScenarioModel> Logged() {
  v1::Scenario s = testing::StraightRoad(600.0, 1, 15.0, 21, 100.0, 10.0);
  auto m = ScenarioModel::Build(s);
  REQUIRE(m.ok());
  return *m;
}

ProgressSummary Drive(double speed) {
  const auto m = Logged();
  testing::TraceBuilder b(*m);
  for (int k = 0; k <= 20; ++k) b.Step(100 + speed * k * 0.1, 0, 0, std::abs(speed));
  return ScoreProgress(*m, b.result.trace, MetricParams{});
}

TEST_CASE("Progress: the ratio to the expert's progress, capped at 1", "[metrics][progress]") {
  ProgressSummary p = Drive(5.0);  // 10 m against the expert's 20 m
  CHECK(p.ego_m == Approx(10.0));
  CHECK(p.reference_m == Approx(20.0));
  CHECK(p.ratio == Approx(0.5));
  CHECK(p.making_progress == 1.0);
  CHECK(Drive(12.0).ratio == 1.0);
  p = Drive(1.9);  // 3.8 m of 20: 0.19 < 0.2
  CHECK(p.ratio == Approx(0.19));
  CHECK(p.making_progress == 0.0);
  CHECK(Drive(2.0).making_progress == 1.0);
  CHECK(Drive(-1.5).ratio == 0.0);  // 3 m backwards: beyond the 2 m floor
  CHECK(Drive(-0.5).ratio == Approx(2.0 / 20.0));  // 1 m back counts as the 2 m floor
}

TEST_CASE("Goal reached: position, step and speed constraints at once", "[metrics][progress]") {
  v1::Scenario s = testing::StraightRoad(600.0, 1, 15.0, 21, 100.0, 10.0);
  v1::GoalRegion* g = s.mutable_goal()->add_regions();
  v1::Rectangle* r = g->add_shapes()->mutable_rectangle();
  r->set_center_x(115);
  r->set_center_y(0);
  r->set_length(4);
  r->set_width(3);
  g->mutable_steps()->set_min(10);
  g->mutable_steps()->set_max(20);
  g->mutable_speed()->set_min(0);
  g->mutable_speed()->set_max(8);
  auto m = ScenarioModel::Build(s);
  REQUIRE(m.ok());
  auto reached = [&](double speed) {
    testing::TraceBuilder b(**m);
    for (int k = 0; k <= 20; ++k) b.Step(100 + speed * k * 0.1, 0, 0, speed);
    return GoalReached(**m, b.result.trace, nullptr);
  };
  CHECK(reached(7.5) == 1.0);   // x = 115 at k = 20, slow enough
  CHECK(reached(9.0) == 0.0);   // in the box at step 16 to 18, but too fast
  CHECK(reached(20.0) == 0.0);  // through the box before step 10
  CHECK(std::isnan(GoalReached(*Logged(), testing::TraceBuilder(*Logged()).result.trace, nullptr)));
}

TEST_CASE("Displacement from the log and distance to agents", "[metrics][progress]") {
  const auto m = Logged();
  testing::TraceBuilder b(*m);
  for (int k = 0; k <= 20; ++k) b.Step(100 + k, 0.5, 0, 10);  // half a metre left of the log
  double ade = 0, fde = 0;
  DisplacementFromLog(*m, b.result.trace, &ade, &fde);
  CHECK(ade == Approx(0.5));
  CHECK(fde == Approx(0.5));
  CHECK(std::isnan(MinDistanceToAgents(b.result.trace)));
}

}  // namespace
}  // namespace tarmac
