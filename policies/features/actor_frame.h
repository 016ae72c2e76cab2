// The actor frame of the model contract (docs/model-io.md): origin at the
// actor's box centre now, x forward along its heading, y to its left. The one
// place where world (scenario-frame) values turn into model values and back.
#pragma once

#include <cmath>

#include "scenarios/map/polyline.h"
#include "sim/trajectory.h"

namespace tarmac {

struct ActorFrame {
  double x = 0.0, y = 0.0;  // origin [m, scenario frame]
  double heading = 0.0;     // +x axis [rad, scenario frame]
  double c = 1.0, s = 0.0;  // cos and sin of heading

  static ActorFrame At(double x0, double y0, double heading0) {
    return {x0, y0, heading0, std::cos(heading0), std::sin(heading0)};
  }
  // A scenario-frame point in this frame [m].
  Vec2 PointToLocal(double wx, double wy) const {
    const double dx = wx - x, dy = wy - y;
    return {c * dx + s * dy, -s * dx + c * dy};
  }
  // A scenario-frame vector (velocity, direction) in this frame.
  Vec2 VectorToLocal(double vx, double vy) const { return {c * vx + s * vy, -s * vx + c * vy}; }
  // A pose of this frame (x, y [m], heading [rad]) in the scenario frame.
  Pose2 PoseToWorld(double lx, double ly, double lheading) const {
    return {x + c * lx - s * ly, y + s * lx + c * ly, heading + lheading};
  }
};

}  // namespace tarmac
