// Driving along a reference path with the Intelligent Driver Model: the
// longitudinal core of the `idm` and `pdm` planners. Obstacles are forecast at
// constant velocity along their heading; red lights and the path's end act as
// standing obstacles.
#pragma once

#include <span>
#include <vector>

#include "sim/idm.h"
#include "sim/path_leader.h"
#include "sim/planner.h"

namespace tarmac {

// The ego's rear axle follows the path (as in nuPlan and PDM-Closed); the
// returned poses are the box centre, d = rear_axle_to_center ahead of it along
// the path heading, which is what a kinematic bicycle on that path does.
struct PathFollowInput {
  const Path2* path = nullptr;
  double s0 = 0.0;             // ego rear axle's arc length on the path at t = 0 [m]
  double v0 = 0.0;             // ego speed at t = 0 [m/s]
  double target_speed = 10.0;  // IDM desired speed [m/s]
  double rear_axle_to_center = 1.5;  // [m]
  double front_length = 4.0;   // rear axle to front bumper [m]
  double half_width = 1.0;     // [m]
  IdmParams idm;
  std::span<const Obstacle> obstacles;  // state at t = 0
  std::span<const double> stops;        // arc lengths where the ego must stop (red lights) [m]
  int steps = kPlanHorizonSteps;
  double dt = 0.1;
  int leader_update_every = 1;  // recompute the leader every this many steps
};

// Fills out->poses (steps + 1 poses, pose 0 at s0) with the IDM unrolled along
// the path; headings follow the path. `speeds` (optional) receives the speed
// at each pose.
void FollowPathWithIdm(const PathFollowInput& in, Trajectory* out, std::vector<double>* speeds = nullptr);

// Arc lengths on `path` (a LanePath of the model's map) where the ego must stop
// at the current step: red lights on its lanes, and yellow ones it can still
// stop for at speed v with deceleration b.
void RedLightStops(const ScenarioModel& model, const SimState& state, const LanePath& path, double s_ego,
                   double v, double b, std::vector<double>* out);

}  // namespace tarmac
