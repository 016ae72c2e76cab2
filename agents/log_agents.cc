#include "agents/log_agents.h"

#include <cmath>

namespace tarmac {

void ReplayAgent(const ScenarioModel& m, int step, int i, SimState* s) {
  const size_t k = static_cast<size_t>(i);
  if (!m.log_valid(step, i)) {
    if (s->status[k] == AgentStatus::kActive) s->status[k] = AgentStatus::kPending;
    return;
  }
  s->status[k] = AgentStatus::kActive;
  if (s->spawn_step[k] < 0) s->spawn_step[k] = step;
  s->x[k] = m.log_x(step, i);
  s->y[k] = m.log_y(step, i);
  s->heading[k] = m.log_heading(step, i);
  s->vx[k] = m.log_vx(step, i);
  s->vy[k] = m.log_vy(step, i);
  s->speed[k] = Norm(s->vx[k], s->vy[k]);
}

void LogAgents::Reset(const ScenarioModel& model, SimState* state) const {
  for (int i = 0; i < model.num_agents(); ++i) ReplayAgent(model, state->step, i, state);
}

void LogAgents::Step(const ScenarioModel& model, SimState* state) const {
  const int next = state->step + 1;
  for (int i = 0; i < model.num_agents(); ++i) ReplayAgent(model, next, i, state);
}

}  // namespace tarmac
