// `idm` agents: reactive vehicles. Each logged vehicle that can be matched to
// the lane graph follows the lane path its log took (ScenarioModel::
// agent_path) with the Intelligent Driver Model for its speed, yielding to the
// ego, to other agents and to red lights ahead on its path. Pedestrians,
// cyclists, static objects, vehicles off the lane graph and scripted tracks
// (Track.scripted: authored behaviours, perturbed agents) replay their logs.
//
// Parameters follow nuPlan's IDM agents (s0 1 m, T 1.5 s, a 1.0 m/s^2,
// b 2.0 m/s^2, delta 4, desired speed = lane speed limit); see
// docs/simulator.md for where tarmac differs (agents appearing later in the
// log are spawned; all agents update from the same previous state).
#pragma once

#include <span>

#include "sim/agent_model.h"
#include "sim/idm.h"
#include "sim/path_leader.h"

namespace tarmac {

struct IdmAgentParams {
  IdmParams idm;                 // nuPlan's agent values are IdmParams' defaults
  double default_speed = 10.0;   // desired speed where the lane has no limit [m/s]
  double lateral_decay_s = 2.0;  // an agent's offset from its path at spawn fades over this [s]
  double path_end_margin = 0.5;  // an agent leaves when this close to its path's end [m]
};

class IdmAgents final : public AgentModel {
 public:
  explicit IdmAgents(IdmAgentParams params = {}) : params_(params) {}
  std::string name() const override { return "idm"; }
  void Reset(const ScenarioModel& model, SimState* state) const override;
  void Step(const ScenarioModel& model, SimState* state) const override;

  const IdmAgentParams& params() const { return params_; }

 private:
  // Places a reactive agent at its logged pose at `step`, if that spot is free.
  bool TrySpawn(const ScenarioModel& model, int step, int i, SimState* state) const;
  // Acceleration of reactive agent i given everything at state->step; the
  // obstacles are the ego and the active agents (owners: agent index, -1 ego).
  double Accel(const ScenarioModel& model, const SimState& state, int i, std::span<const Obstacle> obstacles,
               std::span<const int> owners) const;

  IdmAgentParams params_;
};

}  // namespace tarmac
