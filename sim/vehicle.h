// The ego vehicle's geometry and actuator limits.
#pragma once

#include <numbers>

namespace tarmac {

struct VehicleParams {
  double length = 5.176;               // box length [m]
  double width = 2.297;                // box width [m]
  double wheel_base = 3.089;           // rear axle to front axle [m]
  double rear_axle_to_center = 1.461;  // rear axle to box centre, along the heading [m]
  double max_steer = std::numbers::pi / 3.0;  // steering angle limit [rad] (60 deg)
  double accel_time_constant = 0.2;    // first-order lag of the acceleration actuator [s]
  double steer_time_constant = 0.05;   // first-order lag of the steering actuator [s]
};

// nuPlan's ego, a Chrysler Pacifica: 5.176 x 2.297 m, wheel base 3.089 m, rear
// axle 1.461 m behind the box centre (nuPlan devkit, vehicle_parameters.py;
// see docs/reference/nuplan-closed-loop.md section 1).
inline VehicleParams PacificaParams() { return VehicleParams{}; }

// A vehicle of the given box with the Pacifica's proportions: wheel base
// 0.597 x length, rear axle 0.282 x length behind the centre.
inline VehicleParams VehicleParamsForBox(double length, double width) {
  const VehicleParams p = PacificaParams();
  VehicleParams v = p;
  v.length = length;
  v.width = width;
  v.wheel_base = p.wheel_base / p.length * length;
  v.rear_axle_to_center = p.rear_axle_to_center / p.length * length;
  return v;
}

}  // namespace tarmac
