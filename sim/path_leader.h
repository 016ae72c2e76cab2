// Finding the leader on a path: the nearest obstacle ahead whose box overlaps
// the corridor a vehicle sweeps along its path. Shared by reactive agents and
// the rule-based planners.
#pragma once

#include <algorithm>
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
  double cos_heading = 1.0, sin_heading = 0.0;  // of `heading`, set by Prepare()

  // Call once after setting the fields above, before ConsiderLeader.
  void Prepare() {
    cos_heading = std::cos(heading);
    sin_heading = std::sin(heading);
  }
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
  if (dx * f.cos_heading + dy * f.sin_heading <= 0.0) return;
  // The foot point lies at least (distance - lateral reach) along the path, and
  // at most 1.22 times the distance for a path turning up to 120 degrees
  // within it (arc / chord = theta / (2 sin(theta / 2))).
  const double dist = std::sqrt(dx * dx + dy * dy);
  const double reach_lat = f.half_width + 0.5 * (o.length + o.width);
  const double s_lo = f.s + std::max(0.0, dist - reach_lat - f.half_length);
  const double s_hi = std::min({f.path->length(), f.s + f.lookahead, f.s + 1.22 * dist + reach_lat + 1.0});
  if (s_lo > s_hi) return;
  const PathProjection pp = f.path->ProjectWindow(o.x, o.y, s_lo, s_hi);
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
