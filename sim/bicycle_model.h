// The ego's motion: a kinematic bicycle referenced at the rear axle, with
// first-order actuator lags (nuPlan's KinematicBicycleModel, integrated along
// the chord of each step's arc; docs/simulator.md states the equations).
#pragma once

#include "sim/geometry.h"
#include "sim/vehicle.h"

namespace tarmac {

// The ego's full dynamic state. Pose is the middle of the rear axle.
struct EgoState {
  double x = 0.0;           // rear axle [m, scenario frame]
  double y = 0.0;           // rear axle [m]
  double heading = 0.0;     // [rad, CCW from +x]
  double speed = 0.0;       // longitudinal speed of the rear axle [m/s], may be negative
  double accel = 0.0;       // longitudinal acceleration after the actuator lag [m/s^2]
  double steer = 0.0;       // steering angle [rad], |steer| <= max_steer
  double steer_rate = 0.0;  // steering rate after the actuator lag [rad/s]
  double yaw_rate = 0.0;    // [rad/s]
  double yaw_accel = 0.0;   // [rad/s^2]
};

// What the tracker asks of the actuators.
struct EgoCommand {
  double accel = 0.0;       // desired longitudinal acceleration [m/s^2]
  double steer_rate = 0.0;  // desired steering rate [rad/s]
};

// One step of `dt` seconds:
//  1. lags: a' = a + dt/(dt+tau_a) (a_cmd - a);
//           steer' = steer + dt/(dt+tau_s) (dt steer_rate_cmd), rate' = (steer' - steer)/dt
//  2. derivatives at the old pose, speed and steering angle;
//  3. dh = dt v tan(steer)/L; x += dt v cos(h + dh/2), y += dt v sin(h + dh/2),
//     h += dh, v += dt a', steer = clip(steer + dt rate', +-max_steer);
//  4. yaw rate = v' tan(steer')/L, yaw accel = (yaw rate' - yaw rate)/dt.
EgoState PropagateBicycle(const EgoState& state, const EgoCommand& command,
                          const VehicleParams& vehicle, double dt);

// The ego's box (centre pose) from its rear-axle state.
Box EgoBox(const EgoState& state, const VehicleParams& vehicle);

// Rear-axle state at rest-consistent values from a centre pose and speed
// (acceleration, steering and yaw terms zero unless given).
EgoState EgoStateFromCenter(double cx, double cy, double heading, double speed,
                            const VehicleParams& vehicle);

}  // namespace tarmac
