// Finding the leader on a path: the nearest obstacle ahead whose box overlaps
// the corridor a vehicle sweeps along its path. Shared by reactive agents and
// the rule-based planners.
#pragma once

#include <cmath>
#include <limits>

#include "scenarios/map/polyline.h"

namespace tarmac {

// Something that may block the path.
struct Obstacle {
  double x = 0.0, y = 0.0, heading = 0.0;  // box centre [m], [rad]
  double length = 0.0, width = 0.0;        // [m]
  double speed = 0.0;                      // along its heading [m/s]
};

// The follower: where it is on its path and how big it is.
struct Follower {
  const Path2* path = nullptr;
  double s = 0.0;            // arc length of the follower's reference point [m]
  double x = 0.0, y = 0.0, heading = 0.0;      // that point and the heading
  double half_length = 0.0;  // reference point to the front bumper [m]
  double half_width = 0.0;   // [m]
  double lookahead = 50.0;   // how far along the path to look [m]
};

struct Leader {
  double gap = std::numeric_limits<double>::infinity();  // bumper to bumper along the path [m]
  double speed = 0.0;        // the leader's speed along the path [m/s]
  bool found() const { return std::isfinite(gap); }
};

// Updates `leader` if `o` is ahead on the follower's path (its foot point past
// the follower's centre, within the lookahead, in front of the follower) and
// its box reaches into the corridor of the follower's half width.
inline void ConsiderLeader(const Follower& f, const Obstacle& o, Leader* leader) {
  const double reach = f.lookahead + 10.0;
  const double dx = o.x - f.x, dy = o.y - f.y;
  if (dx * dx + dy * dy > reach * reach) return;
  if (dx * std::cos(f.heading) + dy * std::sin(f.heading) <= 0.0) return;
  const double s_max = std::min(f.path->length(), f.s + f.lookahead);
  const PathProjection pp = f.path->ProjectWindow(o.x, o.y, f.s, s_max);
  if (pp.s <= f.s) return;
  const double dpsi = o.heading - pp.heading;
  const double c = std::abs(std::cos(dpsi)), sn = std::abs(std::sin(dpsi));
  const double lat_extent = 0.5 * (o.length * sn + o.width * c);
  if (std::abs(pp.d) >= f.half_width + lat_extent) return;
  const double gap = pp.s - f.s - f.half_length - 0.5 * (o.length * c + o.width * sn);
  if (gap < leader->gap) {
    leader->gap = gap;
    leader->speed = o.speed * std::cos(dpsi);
  }
}

}  // namespace tarmac
