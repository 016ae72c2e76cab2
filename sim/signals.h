// Per-step signals of a rollout, computed from the model and the state: the
// ego's map relations (lane, off-road distance, route progress), distances
// to agents, and ego-agent collisions.
#pragma once

#include <vector>

#include "sim/rollout.h"
#include "sim/scenario_model.h"
#include "sim/sim_state.h"

namespace tarmac {

// The ego's sample at state->step: pose, dynamics, lane, off-road distance,
// route progress and nearest agent. `previous` (the sample one step earlier,
// may be null) narrows the route projection to its neighbourhood.
EgoSample ComputeEgoSample(const ScenarioModel& model, const SimState& state,
                           const EgoSample* previous = nullptr);

// Appends a CollisionEvent for every active agent that touches the ego now
// and has not touched it before (`collided` has one flag per agent).
void DetectCollisions(const ScenarioModel& model, const SimState& state,
                      std::vector<uint8_t>* collided, std::vector<CollisionEvent>* events);

}  // namespace tarmac
