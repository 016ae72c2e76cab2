// Reactive IDM agents: the car-following equilibrium, yielding to the ego,
// and red lights.
#include "agents/idm_agents.h"

#include <catch2/catch.hpp>

#include <cmath>

#include "tests/support/synthetic.h"

namespace tarmac {
namespace {

TEST_CASE("IDM: zero acceleration at the equilibrium gap", "[agents][idm]") {
  const IdmParams p;
  const double v = 8.0, v0 = 12.0;
  // Equilibrium gap for v = v_lead: s* / sqrt(1 - (v/v0)^delta), s* = s0 + v T.
  const double gap = (p.min_gap + v * p.headway) / std::sqrt(1.0 - std::pow(v / v0, p.exponent));
  CHECK(IdmAcceleration(p, v, v0, gap, v) == Approx(0.0).margin(1e-12));
  CHECK(IdmAcceleration(p, v, v0, gap * 0.8, v) < 0.0);
  CHECK(IdmAcceleration(p, v, v0, gap * 1.2, v) > 0.0);
  CHECK(IdmAcceleration(p, 0.0, v0, -1.0, 0.0) == Approx(p.max_accel));  // free road from rest
  CHECK(IdmAcceleration(p, 10.0, v0, 0.5, 0.0) == Approx(-p.max_decel));  // clipped braking
}

TEST_CASE("IDM agents: a follower settles at the equilibrium gap behind a steady leader",
          "[agents][idm]") {
  // Leader: a replayed object (type OTHER) at 8 m/s; follower: a vehicle on
  // the same lane, starting 60 m behind; the ego is far away in the other lane.
  const double v_lead = 8.0, limit = 12.0;
  v1::Scenario s = testing::StraightRoad(2000.0, 2, limit, 700, 1500.0, 0.0);
  s.mutable_tracks(0)->set_y(0, 3.5);
  for (int k = 0; k < s.time().num_steps(); ++k) s.mutable_tracks(0)->set_y(k, 3.5);
  testing::AddStraightTrack(&s, "leader", v1::TRACK_TYPE_OTHER, 80.0, 0.0, v_lead);
  testing::AddStraightTrack(&s, "follower", v1::TRACK_TYPE_VEHICLE, 20.0, 0.0, v_lead);
  auto model = ScenarioModel::Build(s);
  REQUIRE(model.ok());
  const ScenarioModel& m = **model;
  REQUIRE(m.agent_path(1).usable);
  const IdmAgents agents;
  SimState st;
  st.Reset(m);
  agents.Reset(m, &st);
  for (int k = 0; k < 650; ++k) {
    agents.Step(m, &st);
    ++st.step;
  }
  REQUIRE(st.active(1));
  const IdmParams& p = agents.params().idm;
  const double expected =
      (p.min_gap + v_lead * p.headway) / std::sqrt(1.0 - std::pow(v_lead / limit, p.exponent));
  const double gap = (st.x[0] - st.x[1]) - 4.5;  // centre distance minus half lengths (4.5 m cars)
  CHECK(gap == Approx(expected).epsilon(0.01));
  CHECK(st.speed[1] == Approx(v_lead).epsilon(0.001));
}

TEST_CASE("IDM agents: stop behind a standing ego", "[agents][idm]") {
  v1::Scenario s = testing::StraightRoad(500.0, 1, 15.0, 300, 200.0, 0.0);
  testing::AddStraightTrack(&s, "car", v1::TRACK_TYPE_VEHICLE, 100.0, 0.0, 10.0);
  auto model = ScenarioModel::Build(s);
  REQUIRE(model.ok());
  const ScenarioModel& m = **model;
  const IdmAgents agents;
  SimState st;
  st.Reset(m);
  agents.Reset(m, &st);
  double min_gap = 1e9;
  for (int k = 0; k < 290; ++k) {
    agents.Step(m, &st);
    ++st.step;
    const Box ego = EgoBox(st.ego, m.ego_vehicle());
    min_gap = std::min(min_gap, (ego.x - 0.5 * ego.length) - (st.x[0] + 2.25));
  }
  CHECK(st.speed[0] < 0.01);
  CHECK(min_gap > 0.5);  // stopped before the ego, about s0 = 1 m behind it
  CHECK(min_gap < 1.5);
}

TEST_CASE("IDM agents: a vehicle spawning onto the ego is left out", "[agents][idm]") {
  v1::Scenario s = testing::StraightRoad(300.0, 1, 15.0, 50, 100.0, 0.0);
  testing::AddStraightTrack(&s, "overlap", v1::TRACK_TYPE_VEHICLE, 101.0, 0.0, 0.0);
  auto model = ScenarioModel::Build(s);
  REQUIRE(model.ok());
  const IdmAgents agents;
  SimState st;
  st.Reset(**model);
  agents.Reset(**model, &st);
  CHECK(st.status[0] == AgentStatus::kGone);
}

}  // namespace
}  // namespace tarmac
