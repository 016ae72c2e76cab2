// The interface for the other road users. Implementations live in agents/
// (log replay, IDM); all their per-rollout state is in SimState.
#pragma once

#include <string>

#include "sim/scenario_model.h"
#include "sim/sim_state.h"

namespace tarmac {

class AgentModel {
 public:
  virtual ~AgentModel() = default;
  virtual std::string name() const = 0;

  // Puts the agents into `state` at state->step (the rollout's first step);
  // the ego is already placed.
  virtual void Reset(const ScenarioModel& model, SimState* state) const = 0;

  // Moves the agents from state->step to state->step + 1, reacting to the ego
  // as it is at state->step (state->ego). Does not change the ego or the step.
  virtual void Step(const ScenarioModel& model, SimState* state) const = 0;
};

}  // namespace tarmac
