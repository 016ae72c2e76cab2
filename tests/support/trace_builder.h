// Building rollout traces by hand for metric tests: each step places the ego
// and the agents where the test says, and the simulator's own signal code
// fills in the rest (lanes, off-road distance, collisions...).
#pragma once

#include <vector>

#include "sim/rollout.h"
#include "sim/scenario_model.h"
#include "sim/sim_state.h"

namespace tarmac::testing {

class TraceBuilder {
 public:
  explicit TraceBuilder(const ScenarioModel& model);

  // Agent i at this step (until Step() is called): centre pose and velocity.
  void Agent(int i, double x, double y, double heading, double vx, double vy);
  void HideAgent(int i);
  // Records a step with the ego's box centre at (x, y), heading and speed
  // (and longitudinal acceleration); agents as last set.
  void Step(double x, double y, double heading, double speed, double accel = 0.0);

  RolloutResult result;  // the trace so far; steps from the model's start step

 private:
  const ScenarioModel& model_;
  SimState state_;
  std::vector<uint8_t> collided_;
};

}  // namespace tarmac::testing
