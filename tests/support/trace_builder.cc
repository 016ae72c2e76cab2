#include "tests/support/trace_builder.h"

#include <cmath>

#include "sim/signals.h"

namespace tarmac::testing {

TraceBuilder::TraceBuilder(const ScenarioModel& model) : model_(model) {
  state_.Reset(model);
  collided_.assign(static_cast<size_t>(model.num_agents()), 0);
  result.scenario_id = model.id();
  result.trace.num_agents = model.num_agents();
}

void TraceBuilder::Agent(int i, double x, double y, double heading, double vx, double vy) {
  const size_t k = static_cast<size_t>(i);
  state_.status[k] = AgentStatus::kActive;
  state_.x[k] = x;
  state_.y[k] = y;
  state_.heading[k] = heading;
  state_.vx[k] = vx;
  state_.vy[k] = vy;
  state_.speed[k] = std::sqrt(vx * vx + vy * vy);
}

void TraceBuilder::HideAgent(int i) { state_.status[static_cast<size_t>(i)] = AgentStatus::kPending; }

void TraceBuilder::Step(double x, double y, double heading, double speed, double accel) {
  if (!result.trace.ego.empty()) ++state_.step;
  state_.ego = EgoStateFromCenter(x, y, heading, speed, model_.ego_vehicle());
  state_.ego.accel = accel;
  RolloutTrace& t = result.trace;
  t.ego.push_back(ComputeEgoSample(model_, state_, t.ego.empty() ? nullptr : &t.ego.back()));
  DetectCollisions(model_, state_, &collided_, &t.collisions);
  for (int i = 0; i < state_.num_agents(); ++i) {
    const size_t k = static_cast<size_t>(i);
    t.agent_x.push_back(static_cast<float>(state_.x[k]));
    t.agent_y.push_back(static_cast<float>(state_.y[k]));
    t.agent_heading.push_back(static_cast<float>(state_.heading[k]));
    t.agent_vx.push_back(static_cast<float>(state_.vx[k]));
    t.agent_vy.push_back(static_cast<float>(state_.vy[k]));
    t.agent_active.push_back(state_.active(i) ? 1 : 0);
  }
  result.steps = static_cast<int>(t.ego.size()) - 1;
}

}  // namespace tarmac::testing
