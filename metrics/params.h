// The thresholds of every metric, with their sources (docs/metrics.md).
#pragma once

namespace tarmac {

struct MetricParams {
  // no_at_fault_collisions: at-fault collisions tolerated before the
  // multiplier hits 0, per category (nuPlan: vehicles 0, VRUs 0, objects 1).
  int vehicle_collision_threshold = 0;
  int vru_collision_threshold = 0;
  int object_collision_threshold = 1;
  // drivable_area_compliance: a corner this far outside fails [m].
  double max_offroad = 0.3;
  // driving_direction_compliance: against-traffic progress within a window.
  double direction_window_s = 1.0;
  double direction_compliant = 2.0;   // < this -> 1 [m]
  double direction_violation = 6.0;   // < this -> 0.5, else 0 [m]
  // ego_progress_along_expert_route / ego_is_making_progress.
  double progress_floor = 2.0;        // progress below this counts as this [m]
  double min_progress_ratio = 0.2;
  // time_to_collision_within_bound.
  double ttc_bound = 0.95;            // [s]
  double ttc_horizon = 3.0;           // projections at 0.1 .. < 3.0 s [s]
  double ttc_stopped_speed = 5e-3;    // ego slower than this: no TTC [m/s]
  double ahead_angle_deg = 30.0;      // a track this close to the ego's heading is ahead
  double behind_angle_deg = 150.0;    // ... and this far off it is behind
  // speed_limit_compliance.
  double max_overspeed = 2.23;        // normaliser of the integrated overspeed [m/s]
  // CLS weights.
  double weight_progress = 5.0, weight_ttc = 5.0, weight_speed = 4.0, weight_comfort = 2.0;
};

}  // namespace tarmac
