// Roads from primitives: straight and curved multi-lane roads, a four-way
// intersection with a two-phase signal program, a merge with an on-ramp.
// Produces a complete v1::Map (lanes with centrelines, boundaries, speed
// limits, neighbours, successors; road edges; road lines; crosswalks; stop
// lines) and the traffic lights with their per-step states.
#pragma once

#include <vector>

#include "scenarios/result.h"
#include "tarmac/v1/scenario.pb.h"
#include "tarmac/v1/spec.pb.h"

namespace tarmac {

struct BuiltRoad {
  v1::Map map;
  std::vector<v1::TrafficLight> lights;  // states for every step
};

// `num_steps` steps of `dt` seconds; signal programs start at step 0 at
// their offset. Fails (naming the field and value) on nonsense dimensions.
Result<BuiltRoad> BuildRoad(const v1::RoadSpec& road, int num_steps, double dt);

// The signal colour of a two-phase program at time t [s] for the "NS" or "EW" group.
v1::SignalState ProgramState(const v1::SignalProgram& program, bool ns, double t);

}  // namespace tarmac
