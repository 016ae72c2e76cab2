// no_at_fault_collisions: every ego-agent contact of a rollout (each agent
// once, at first contact) classified by nuPlan's rules (collision_fault.h),
// and the multiplier: 1 without at-fault collisions, else the product over
// categories (vehicles, vulnerable road users, static objects) of
// max(0, 1 - n / (threshold + 1)) — so any at-fault vehicle or VRU collision
// gives 0, one with a static object 0.5.
#pragma once

#include <vector>

#include "metrics/events.h"
#include "metrics/params.h"
#include "sim/rollout.h"
#include "sim/scenario_model.h"

namespace tarmac {

struct CollisionSummary {
  double score = 1.0;
  int total = 0;
  int at_fault = 0;
  int at_fault_vehicles = 0, at_fault_vrus = 0, at_fault_objects = 0;
  std::vector<int> at_fault_steps;   // step of every at-fault collision
  std::vector<int> collided_agents;  // agent index of every collision
  std::vector<int> collision_steps;  // its step
};

CollisionSummary ScoreCollisions(const ScenarioModel& model, const RolloutTrace& trace,
                                 const MetricParams& params, MetricEvents* events);

// The ego's box at sample k of the trace (centre pose, vehicle size).
Box EgoBoxAt(const ScenarioModel& model, const EgoSample& e);
// Agent i's box at sample k of the trace.
Box AgentBoxAt(const ScenarioModel& model, const RolloutTrace& trace, int k, int i);

}  // namespace tarmac
