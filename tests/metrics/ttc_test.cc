// Time to collision against a standing car ahead, at the 0.95 s bound.
#include "metrics/ttc.h"

#include <catch2/catch.hpp>

#include "tests/support/synthetic.h"
#include "tests/support/trace_builder.h"

namespace tarmac {
namespace {

// The ego at 10 m/s with `gap` metres between its front bumper and a standing car.
TtcSummary Approach(double gap, double agent_y = 0.0) {
  v1::Scenario s = testing::StraightRoad(600.0, 2, 15.0, 5, 100.0, 10.0);
  testing::AddStraightTrack(&s, "car", v1::TRACK_TYPE_VEHICLE, 400, 0, 0.0);
  auto m = ScenarioModel::Build(s);
  REQUIRE(m.ok());
  testing::TraceBuilder b(**m);
  b.Agent(0, 100 + 2.5 + gap + 2.25, agent_y, 0, 0, 0);  // ego half length 2.5, car 2.25
  b.Step(100, 0, 0, 10);
  return ScoreTimeToCollision(**m, b.result.trace, MetricParams{}, {}, {}, {});
}

TEST_CASE("TTC: the first 0.1 s projection that overlaps, against the 0.95 s bound", "[metrics][ttc]") {
  TtcSummary t = Approach(9.0);  // closes at 10 m/s: contact at 0.9 s
  CHECK(t.min_ttc == Approx(0.9));
  CHECK(t.score == 0.0);
  t = Approach(9.5);  // contact between projections: first overlap at 1.0 s
  CHECK(t.min_ttc == Approx(1.0));
  CHECK(t.score == 1.0);
  t = Approach(40.0);  // beyond the 3 s horizon
  CHECK(t.min_ttc > 100.0);
  CHECK(t.score == 1.0);
  t = Approach(5.0, 3.5);  // in the next lane: never meets
  CHECK(t.score == 1.0);
}

TEST_CASE("TTC: an at-fault collision counts as zero", "[metrics][ttc]") {
  v1::Scenario s = testing::StraightRoad(600.0, 1, 15.0, 5, 100.0, 10.0);
  auto m = ScenarioModel::Build(s);
  REQUIRE(m.ok());
  testing::TraceBuilder b(**m);
  b.Step(100, 0, 0, 10);
  b.Step(101, 0, 0, 10);
  const TtcSummary t = ScoreTimeToCollision(**m, b.result.trace, MetricParams{}, {}, {}, {1});
  CHECK(t.min_ttc == 0.0);
  CHECK(t.min_step == 1);
  CHECK(t.score == 0.0);
}

}  // namespace
}  // namespace tarmac
