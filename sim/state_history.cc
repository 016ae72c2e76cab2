#include "sim/state_history.h"

#include <cmath>


namespace tarmac {

void StateHistory::Reset(const ScenarioModel& model) {
  num_agents_ = model.num_agents();
  for (int32_t& s : step_) s = -1;
  const size_t n = static_cast<size_t>(kCapacity) * static_cast<size_t>(num_agents_);
  agents_.assign(n, Kinematics{});
  active_.assign(n, 0);
}

int StateHistory::SlotOf(int step) const {
  if (step < 0) return -1;
  const int slot = step % kCapacity;
  return step_[slot] == step ? slot : -1;
}

void StateHistory::Push(const ScenarioModel& model, const SimState& state) {
  TARMAC_CHECK(state.num_agents() == num_agents_ && state.step >= 0);
  const int slot = state.step % kCapacity;
  step_[slot] = state.step;
  const Box e = EgoBox(state.ego, model.ego_vehicle());
  ego_[slot] = {e.x, e.y, e.heading, state.ego.speed * std::cos(e.heading), state.ego.speed * std::sin(e.heading)};
  const size_t base = static_cast<size_t>(slot) * static_cast<size_t>(num_agents_);
  for (int i = 0; i < num_agents_; ++i) {
    const size_t k = static_cast<size_t>(i);
    active_[base + k] = state.active(i) ? 1 : 0;
    agents_[base + k] = {state.x[k], state.y[k], state.heading[k], state.vx[k], state.vy[k]};
  }
}

bool StateHistory::Ego(int step, Kinematics* out) const {
  const int slot = SlotOf(step);
  if (slot < 0) return false;
  *out = ego_[slot];
  return true;
}

bool StateHistory::Agent(int step, int i, Kinematics* out) const {
  const int slot = SlotOf(step);
  if (slot < 0 || i < 0 || i >= num_agents_) return false;
  const size_t k = static_cast<size_t>(slot) * static_cast<size_t>(num_agents_) + static_cast<size_t>(i);
  if (active_[k] == 0) return false;
  *out = agents_[k];
  return true;
}

}  // namespace tarmac
