// What a planner returns: the ego's planned poses over a horizon.
#pragma once

#include <vector>

namespace tarmac {

struct Pose2 {
  double x = 0.0;        // box centre [m, scenario frame]
  double y = 0.0;        // [m]
  double heading = 0.0;  // [rad, CCW from +x]
};

// Planned poses of the ego's box centre at now + k * dt, k = 0..size-1; pose 0
// is the planner's idea of "now" (it may differ from the actual ego pose: the
// tracker corrects the offset). A valid plan spans at least
// kMinPlanHorizonSteps steps after pose 0, every value finite.
struct Trajectory {
  double dt = 0.1;          // [s]
  std::vector<Pose2> poses;
};

inline constexpr int kPlanHorizonSteps = 80;     // what built-in planners return: 8 s at 0.1 s
inline constexpr int kMinPlanHorizonSteps = 80;  // the least the simulator accepts

}  // namespace tarmac
