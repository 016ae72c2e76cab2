// SimState: every value that changes during a rollout, in one place (MuJoCo's
// mjData). The simulator, agents and planners keep no other mutable state, so
// a rollout can be hashed, snapshotted and replayed. Agent arrays are
// structure-of-arrays, indexed like ScenarioModel's agents.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/bicycle_model.h"

namespace tarmac {

class ScenarioModel;

// Lifecycle of a simulated agent.
enum class AgentStatus : uint8_t {
  kPending = 0,   // not (yet) in the simulation: before its first logged step
  kActive = 1,    // simulated this step
  kGone = 2,      // left for good: log ended, path ended, or not spawnable
};

struct SimState {
  int step = 0;    // absolute log step this state belongs to
  EgoState ego;    // rear-axle state

  // Agents (num_agents entries each).
  std::vector<AgentStatus> status;
  std::vector<double> x, y, heading;  // box centre [m], heading [rad]
  std::vector<double> vx, vy;         // [m/s]
  std::vector<double> speed;          // along the agent's path or heading [m/s]
  std::vector<double> s;              // arc length on the agent's lane path (reactive agents) [m]
  std::vector<double> lateral0;       // lateral offset from the path at spawn [m], decays to 0
  std::vector<int32_t> spawn_step;    // step the agent became active, -1 if never

  // Rolling 64-bit hash of every state of the rollout so far.
  uint64_t hash = 0;

  // Sizes every agent array for `model` and resets all values.
  void Reset(const ScenarioModel& model);
  int num_agents() const { return static_cast<int>(status.size()); }
  bool active(int i) const { return status[static_cast<size_t>(i)] == AgentStatus::kActive; }
};

// Folds the current state into state->hash: FNV-style mixing of the exact
// bytes of every field (active agents only), in a fixed order. Same values -> same hash on every machine.
void HashState(SimState* state);

}  // namespace tarmac
