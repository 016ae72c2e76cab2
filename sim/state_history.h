// StateHistory: the simulated past of a rollout, for planners that read it
// (learned ones: docs/model-io.md, "history"): the last 21 states, as
// box-centre kinematics of the ego and every agent. That is one more than the
// 20 past steps a model observation reads, so pushing "now" before or after
// building is the same. SimState holds only "now"; the runner pushes every
// state of a rollout here when its planner asks for it
// (Planner::wants_history) and hands it over in PlanRequest::history. Derived
// from the states, so it is not part of the state hash. Fixed size per
// scenario, no allocation after Reset().
#pragma once

#include <cstdint>
#include <vector>

#include "sim/scenario_model.h"
#include "sim/sim_state.h"

namespace tarmac {

// One entity's kinematics at one step, box centre, scenario frame.
struct Kinematics {
  double x = 0.0, y = 0.0;    // [m]
  double heading = 0.0;       // [rad]
  double vx = 0.0, vy = 0.0;  // [m/s]
};

class StateHistory {
 public:
  // Sizes the ring for `model`'s agents and forgets every state.
  void Reset(const ScenarioModel& model);
  // Records `state` (ego and active agents) as the state of step state.step,
  // replacing the oldest one held.
  void Push(const ScenarioModel& model, const SimState& state);
  // The recorded state of the ego / agent i at `step`: false when that step is
  // not held (never pushed or pushed out) or the agent was not active then.
  bool Ego(int step, Kinematics* out) const;
  bool Agent(int step, int i, Kinematics* out) const;

  static constexpr int kCapacity = 21;  // model_io::kHistorySteps

 private:
  // Slot of `step`, or -1 when it is not held.
  int SlotOf(int step) const;
  int num_agents_ = 0;
  int32_t step_[kCapacity] = {};
  Kinematics ego_[kCapacity];
  std::vector<Kinematics> agents_;  // [slot * num_agents + i]
  std::vector<uint8_t> active_;     // [slot * num_agents + i]
};

}  // namespace tarmac
