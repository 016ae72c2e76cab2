// Agents driven by a planner through the ego's interface.
#include "agents/planner_agents.h"

#include <catch2/catch.hpp>

#include <cmath>

#include "agents/log_agents.h"
#include "policies/constant_velocity_planner.h"
#include "policies/log_planner.h"
#include "sim/runner.h"
#include "tests/support/real_scenarios.h"
#include "tests/support/synthetic.h"
#include "tests/support/test_data.h"

namespace tarmac {
namespace {

TEST_CASE("Planner agents: the log planner makes reactive vehicles replay their log",
          "[agents][planner_agents][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const auto models = testing::LoadLoggedEgoModels();
  const std::shared_ptr<const ScenarioModel>& m = models[1];  // scene-0103: 61 vehicles
  LogPlanner ego_planner;
  const PlannerAgents driven(std::make_unique<LogPlanner>());
  const std::vector<RolloutResult> a = RunRollouts({&m, 1}, &ego_planner, driven, {}, nullptr);
  const std::vector<RolloutResult> b = RunRollouts({&m, 1}, &ego_planner, LogAgents(), {}, nullptr);
  REQUIRE(a[0].ok);
  REQUIRE(b[0].ok);
  const int n = m->num_agents();
  int compared = 0;
  for (size_t k = 1; k < a[0].trace.ego.size(); ++k) {
    const int t = a[0].trace.ego[k].step;
    for (int i = 0; i < n; ++i) {
      const size_t idx = k * static_cast<size_t>(n) + static_cast<size_t>(i);
      // Planned vehicles that are in both rollouts and logged at t and t - 1.
      if (!m->agent_path(i).usable || !a[0].trace.agent_active[idx] || !b[0].trace.agent_active[idx] ||
          !m->log_valid(t - 1, i)) {
        continue;
      }
      REQUIRE(a[0].trace.agent_x[idx] == Approx(b[0].trace.agent_x[idx]).margin(1e-3));
      REQUIRE(a[0].trace.agent_y[idx] == Approx(b[0].trace.agent_y[idx]).margin(1e-3));
      ++compared;
    }
  }
  CHECK(compared > 1000);
}

TEST_CASE("Planner agents: constant-velocity agents keep going straight", "[agents][planner_agents]") {
  v1::Scenario s = testing::StraightRoad(1000.0, 2, 15.0, 60, 900.0, 0.0);
  testing::AddStraightTrack(&s, "car", v1::TRACK_TYPE_VEHICLE, 100.0, 3.5, 7.0);
  auto model = ScenarioModel::Build(s);
  REQUIRE(model.ok());
  const ScenarioModel& m = **model;
  const PlannerAgents agents(std::make_unique<ConstantVelocityPlanner>());
  SimState st;
  st.Reset(m);
  agents.Reset(m, &st);
  for (int k = 0; k < 50; ++k) {
    agents.Step(m, &st);
    ++st.step;
  }
  REQUIRE(st.active(0));
  CHECK(st.x[0] == Approx(100.0 + 7.0 * 5.0).margin(1e-6));
  CHECK(st.y[0] == Approx(3.5).margin(1e-9));
  CHECK(agents.name() == "planner:constant-velocity");
}

}  // namespace
}  // namespace tarmac
