// A rollout trace as the results store keeps it (one row of the traces
// table): the scenario's time base, the agents' JSON metadata and three
// compressed blobs made by store/trace_codec.h. Plain data, no dependencies,
// so the store's API does not need the simulator's headers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tarmac {

struct EncodedTrace {
  double dt = 0.1;           // simulation step [s]
  int64_t start_step = 0;    // log step of the first recorded state
  int64_t num_steps = 0;     // recorded ego states, the start state included
  std::string agent_meta;    // JSON array: {"id", "type", "length" [m], "width" [m]} per agent
  std::vector<uint8_t> ego;     // per-step ego pose, speed, accel, steer
  std::vector<uint8_t> agents;  // per-step agent pose and active flag
  std::vector<uint8_t> plans;   // the planner's (thinned) trajectories
};

}  // namespace tarmac
