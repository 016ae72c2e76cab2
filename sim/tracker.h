// The trajectory tracker: turns a planned trajectory into acceleration and
// steering-rate commands. nuPlan's decoupled LQR tracker (v1.2): a one-step
// longitudinal LQR on the speed 1 s ahead, and a one-step lateral LQR on
// [lateral error, heading error, steering angle] over a 1 s linearised
// horizon, with reference speed and curvature fitted to the poses by
// regularised least squares. Equations and deviations: docs/simulator.md.
#pragma once

#include "sim/bicycle_model.h"
#include "sim/trajectory.h"

namespace tarmac {

struct TrackerParams {
  double q_longitudinal = 10.0;        // weight on the speed error
  double r_longitudinal = 1.0;         // weight on the acceleration
  double q_lateral[3] = {1.0, 10.0, 0.0};  // lateral error, heading error, steering angle
  double r_lateral = 1.0;              // weight on the steering rate
  int tracking_horizon = 10;           // steps of the trajectory's dt (1 s)
  double jerk_penalty = 1e-4;          // speed-fit regulariser
  double curvature_rate_penalty = 1e-2;  // curvature-fit regulariser
  double stopping_gain = 0.5;          // proportional gain when stopping [1/s]
  double stopping_speed = 0.2;         // below this (actual and reference) speed: stopping mode [m/s]
  // Along-track position feedback [1/s]: the reference speed is raised by this
  // gain times the distance the ego lags behind pose 0 of the plan (lowered if
  // ahead). nuPlan's tracker has none (0); without it a replayed log drifts by
  // the speed lag of the velocity loop. Plans whose pose 0 is the ego's own
  // (projected) pose are unaffected.
  double position_gain = 1.0;
  // Poses used for the profile fit: the first this many steps (nuPlan fits the
  // whole trajectory; the reference speed 1 s ahead and curvatures over the
  // next 1 s barely depend on poses beyond 3 s).
  int fit_steps = 30;
};

// The command that tracks `plan` from `state` (rear-axle ego state). Pure
// function of its inputs; no allocation.
EgoCommand TrackTrajectory(const EgoState& state, const Trajectory& plan,
                           const VehicleParams& vehicle, const TrackerParams& params = {});

// Speed and curvature profiles fitted to rear-axle poses (exposed for tests
// and for planners that simulate their proposals, fitting once per proposal):
// speed[j], curvature[j] for the displacement starting at pose j, j < count.
struct FittedProfiles {
  static constexpr int kMax = 64;
  int count = 0;
  double speed[kMax] = {};      // [m/s]
  double curvature[kMax] = {};  // [1/m]
};
FittedProfiles FitProfiles(const Pose2* rear_axle_poses, int num_poses, double dt,
                           const TrackerParams& params);

}  // namespace tarmac

namespace tarmac {

// The tracker's control law given a reference already fitted: `ref` is the
// rear-axle pose the ego should be at now, `profiles` the fit of the
// reference poses and `index` the profile index of "now" (the reference speed
// is taken tracking_horizon steps later, curvatures from index on).
EgoCommand TrackWithProfiles(const EgoState& state, const Pose2& ref, const FittedProfiles& profiles,
                             int index, double dt, const VehicleParams& vehicle,
                             const TrackerParams& params = {});

}  // namespace tarmac
