// The vehicle a plan is for: the ego, or an agent that a planner drives
// (PlanRequest::actor). Planners read "themselves" and "the others" through
// these helpers, so the same planner can drive the ego and sim agents.
#pragma once

#include <vector>

#include "sim/path_leader.h"
#include "sim/scenario_model.h"
#include "sim/sim_state.h"

namespace tarmac {

inline constexpr int kEgoActor = -1;

struct ActorState {
  double x = 0.0, y = 0.0, heading = 0.0;  // box centre [m], [rad]
  double speed = 0.0;                      // along the heading [m/s]
  double length = 0.0, width = 0.0;        // [m]
  // The point that follows paths: the ego's rear axle, an agent's centre
  // (agents move kinematically, without a bicycle model).
  double reference_offset = 0.0;           // reference point = centre - offset * heading [m]
  double ref_x() const;
  double ref_y() const;
};

ActorState ActorOf(const ScenarioModel& model, const SimState& state, int actor);

// The lanes the actor should follow: the ego's route path, an agent's logged
// lane path; null when there is none.
const LanePath* ActorRoute(const ScenarioModel& model, int actor);

// Everything but the actor within `radius` of it, as obstacles (the ego
// included when the actor is an agent); `types` gets each one's track type
// (VEHICLE for the ego) when not null.
void CollectObstaclesFor(const ScenarioModel& model, const SimState& state, int actor, double radius,
                         std::vector<Obstacle>* out, std::vector<v1::TrackType>* types = nullptr);

}  // namespace tarmac
