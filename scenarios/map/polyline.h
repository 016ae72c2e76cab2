// Path2: a 2-D polyline with cumulative arc length, the geometry every lane,
// route and reference path in tarmac is made of.
#pragma once

#include <cmath>
#include <span>
#include <vector>

#include "tarmac/v1/scenario.pb.h"

namespace tarmac {

struct Vec2 {
  double x = 0.0;
  double y = 0.0;
};

// Length of (x, y). Plain sqrt(x^2 + y^2): std::hypot's overflow care costs
// ~20x more and no coordinate here comes near overflow.
inline double Norm(double x, double y) { return std::sqrt(x * x + y * y); }

// Where a point lies relative to a path.
struct PathProjection {
  double s = 0.0;         // arc length of the foot point along the path [m]
  double d = 0.0;         // signed lateral offset, positive to the left of the path [m]
  double distance = 0.0;  // Euclidean distance to the foot point [m], >= |d| past the ends
  double heading = 0.0;   // path heading at the foot point [rad]
  int segment = 0;        // index of the segment holding the foot point
};

// A pose sampled on a path.
struct PathPose {
  double x = 0.0;
  double y = 0.0;
  double heading = 0.0;  // [rad, CCW from +x]
};

class Path2 {
 public:
  Path2() = default;
  // Consecutive duplicate points are dropped; a path needs >= 2 distinct points
  // to have a heading (a single point gives a zero-length path heading +x).
  explicit Path2(std::span<const Vec2> points);
  static Path2 FromProto(const v1::Polyline& line);

  const std::vector<Vec2>& points() const { return points_; }
  // Cumulative arc length at each point [m]; s[0] = 0.
  const std::vector<double>& s() const { return s_; }
  double length() const { return s_.empty() ? 0.0 : s_.back(); }
  bool empty() const { return points_.empty(); }

  // Nearest point of the path to (x, y); O(points). Past either end, d is the
  // offset from the extended end segment's line and s is clamped.
  PathProjection Project(double x, double y) const;

  // Nearest point among the segments overlapping arc lengths [s_min, s_max];
  // O(segments in the window + log(points)).
  PathProjection ProjectWindow(double x, double y, double s_min, double s_max) const;

  // Pose at arc length s, clamped to [0, length()].
  PathPose PoseAt(double s) const;

  // Index of the segment containing arc length s (clamped).
  int SegmentAt(double s) const;

  // Heading of segment i [rad].
  double SegmentHeading(int i) const;

  // Appends `other`, skipping its first point if it duplicates our last one.
  void Append(const Path2& other);

 private:
  void Build();
  std::vector<Vec2> points_;
  std::vector<double> s_;
};

// Distance from (px, py) to segment a-b, and the foot parameter t in [0, 1].
double PointSegmentDistance(double px, double py, double ax, double ay, double bx, double by,
                            double* t);

}  // namespace tarmac
