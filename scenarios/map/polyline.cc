#include "scenarios/map/polyline.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tarmac {

double PointSegmentDistance(double px, double py, double ax, double ay, double bx, double by,
                            double* t) {
  const double dx = bx - ax;
  const double dy = by - ay;
  const double len2 = dx * dx + dy * dy;
  double u = 0.0;
  if (len2 > 0.0) u = std::clamp(((px - ax) * dx + (py - ay) * dy) / len2, 0.0, 1.0);
  if (t != nullptr) *t = u;
  return Norm(px - (ax + u * dx), py - (ay + u * dy));
}

Path2::Path2(std::span<const Vec2> points) {
  points_.reserve(points.size());
  for (const Vec2& p : points) {
    if (!points_.empty() && points_.back().x == p.x && points_.back().y == p.y) continue;
    points_.push_back(p);
  }
  Build();
}

Path2 Path2::FromProto(const v1::Polyline& line) {
  std::vector<Vec2> pts;
  const int n = std::min(line.x_size(), line.y_size());
  pts.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) pts.push_back({line.x(i), line.y(i)});
  return Path2(pts);
}

void Path2::Build() {
  s_.assign(points_.size(), 0.0);
  for (size_t i = 1; i < points_.size(); ++i) {
    s_[i] = s_[i - 1] + Norm(points_[i].x - points_[i - 1].x, points_[i].y - points_[i - 1].y);
  }
}

double Path2::SegmentHeading(int i) const {
  if (points_.size() < 2) return 0.0;
  const size_t k = static_cast<size_t>(std::clamp(i, 0, static_cast<int>(points_.size()) - 2));
  return std::atan2(points_[k + 1].y - points_[k].y, points_[k + 1].x - points_[k].x);
}

int Path2::SegmentAt(double s) const {
  if (points_.size() < 2) return 0;
  const auto it = std::upper_bound(s_.begin(), s_.end(), s);
  const int i = static_cast<int>(it - s_.begin()) - 1;
  return std::clamp(i, 0, static_cast<int>(points_.size()) - 2);
}

PathPose Path2::PoseAt(double s) const {
  if (points_.empty()) return {};
  if (points_.size() == 1) return {points_[0].x, points_[0].y, 0.0};
  const double sc = std::clamp(s, 0.0, length());
  const int i = SegmentAt(sc);
  const size_t k = static_cast<size_t>(i);
  const double seg = s_[k + 1] - s_[k];
  const double t = seg > 0.0 ? (sc - s_[k]) / seg : 0.0;
  return {points_[k].x + t * (points_[k + 1].x - points_[k].x),
          points_[k].y + t * (points_[k + 1].y - points_[k].y), SegmentHeading(i)};
}

PathProjection Path2::Project(double x, double y) const {
  PathProjection best;
  if (points_.empty()) return best;
  if (points_.size() == 1) {
    best.distance = Norm(x - points_[0].x, y - points_[0].y);
    return best;
  }
  best.distance = std::numeric_limits<double>::infinity();
  for (size_t k = 0; k + 1 < points_.size(); ++k) {
    double t = 0.0;
    const double dist =
        PointSegmentDistance(x, y, points_[k].x, points_[k].y, points_[k + 1].x, points_[k + 1].y, &t);
    if (dist < best.distance) {
      best.distance = dist;
      best.segment = static_cast<int>(k);
      best.s = s_[k] + t * (s_[k + 1] - s_[k]);
    }
  }
  const size_t k = static_cast<size_t>(best.segment);
  const double hx = points_[k + 1].x - points_[k].x;
  const double hy = points_[k + 1].y - points_[k].y;
  const double len = Norm(hx, hy);
  best.heading = std::atan2(hy, hx);
  // Signed offset from the segment's line: cross(direction, point - start).
  best.d = len > 0.0 ? (hx * (y - points_[k].y) - hy * (x - points_[k].x)) / len : 0.0;
  return best;
}

PathProjection Path2::ProjectWindow(double x, double y, double s_min, double s_max) const {
  if (points_.size() < 2) return Project(x, y);
  const int first = SegmentAt(s_min);
  const int last = SegmentAt(s_max);
  int best_seg = first;
  double best_d2 = std::numeric_limits<double>::infinity(), best_t = 0.0;
  for (int i = first; i <= last; ++i) {
    const size_t k = static_cast<size_t>(i);
    const double ax = points_[k].x, ay = points_[k].y;
    const double dx = points_[k + 1].x - ax, dy = points_[k + 1].y - ay;
    const double len2 = dx * dx + dy * dy;
    const double t = len2 > 0.0 ? std::clamp(((x - ax) * dx + (y - ay) * dy) / len2, 0.0, 1.0) : 0.0;
    const double ex = x - ax - t * dx, ey = y - ay - t * dy;
    const double d2 = ex * ex + ey * ey;
    if (d2 < best_d2) {
      best_d2 = d2;
      best_seg = i;
      best_t = t;
    }
  }
  PathProjection best;
  const size_t k = static_cast<size_t>(best_seg);
  best.segment = best_seg;
  best.distance = std::sqrt(best_d2);
  best.s = s_[k] + best_t * (s_[k + 1] - s_[k]);
  const double hx = points_[k + 1].x - points_[k].x;
  const double hy = points_[k + 1].y - points_[k].y;
  const double len = Norm(hx, hy);
  best.heading = std::atan2(hy, hx);
  best.d = len > 0.0 ? (hx * (y - points_[k].y) - hy * (x - points_[k].x)) / len : 0.0;
  return best;
}

void Path2::Append(const Path2& other) {
  for (const Vec2& p : other.points_) {
    if (!points_.empty() && points_.back().x == p.x && points_.back().y == p.y) continue;
    points_.push_back(p);
  }
  Build();
}

}  // namespace tarmac
