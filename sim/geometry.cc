#include "sim/geometry.h"

#include <algorithm>
#include <limits>

namespace tarmac {

std::array<Vec2, 4> Corners(const Box& b) {
  const double c = std::cos(b.heading), s = std::sin(b.heading);
  const double hl = 0.5 * b.length, hw = 0.5 * b.width;
  // Half-extent vectors along and across the heading.
  const double lx = c * hl, ly = s * hl, wx = -s * hw, wy = c * hw;
  return {Vec2{b.x + lx + wx, b.y + ly + wy}, Vec2{b.x - lx + wx, b.y - ly + wy},
          Vec2{b.x - lx - wx, b.y - ly - wy}, Vec2{b.x + lx - wx, b.y + ly - wy}};
}

namespace {

// Projection half-width of box `b` onto unit axis (ax, ay).
double Radius(const Box& b, double ax, double ay) {
  const double c = std::cos(b.heading), s = std::sin(b.heading);
  return 0.5 * b.length * std::abs(c * ax + s * ay) + 0.5 * b.width * std::abs(-s * ax + c * ay);
}

// Largest gap between the boxes over the four candidate separating axes;
// <= 0 means no axis separates them.
double MaxSeparation(const Box& a, const Box& b) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  double best = -std::numeric_limits<double>::infinity();
  for (const Box* box : {&a, &b}) {
    const double c = std::cos(box->heading), s = std::sin(box->heading);
    for (int k = 0; k < 2; ++k) {
      const double ax = k == 0 ? c : -s;
      const double ay = k == 0 ? s : c;
      const double gap = std::abs(dx * ax + dy * ay) - Radius(a, ax, ay) - Radius(b, ax, ay);
      best = std::max(best, gap);
    }
  }
  return best;
}

}  // namespace

bool BoxesOverlap(const Box& a, const Box& b) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double r = BoundingRadius(a) + BoundingRadius(b);
  if (dx * dx + dy * dy > r * r) return false;
  return MaxSeparation(a, b) <= 0.0;
}

double BoxDistance(const Box& a, const Box& b) {
  if (BoxesOverlap(a, b)) return 0.0;
  // Separated convex polygons: the distance is attained at a corner of one
  // and an edge of the other.
  const std::array<Vec2, 4> ca = Corners(a), cb = Corners(b);
  double best = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < 4; ++i) {
    const Vec2 a0 = ca[i], a1 = ca[(i + 1) % 4], b0 = cb[i], b1 = cb[(i + 1) % 4];
    for (size_t j = 0; j < 4; ++j) {
      best = std::min(best, PointSegmentDistance(cb[j].x, cb[j].y, a0.x, a0.y, a1.x, a1.y, nullptr));
      best = std::min(best, PointSegmentDistance(ca[j].x, ca[j].y, b0.x, b0.y, b1.x, b1.y, nullptr));
    }
  }
  return best;
}

bool SegmentTouchesBox(Vec2 p0, Vec2 p1, const Box& b) {
  // In the box frame the box is axis aligned: clip the segment (Liang-Barsky).
  const double c = std::cos(b.heading), s = std::sin(b.heading);
  auto local = [&](Vec2 p) {
    const double dx = p.x - b.x, dy = p.y - b.y;
    return Vec2{c * dx + s * dy, -s * dx + c * dy};
  };
  const Vec2 a = local(p0), d = local(p1);
  double t0 = 0.0, t1 = 1.0;
  const double hl = 0.5 * b.length, hw = 0.5 * b.width;
  const double dx = d.x - a.x, dy = d.y - a.y;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {a.x + hl, hl - a.x, a.y + hw, hw - a.y};
  for (int k = 0; k < 4; ++k) {
    if (p[k] == 0.0) {
      if (q[k] < 0.0) return false;
    } else {
      const double r = q[k] / p[k];
      if (p[k] < 0.0) {
        t0 = std::max(t0, r);
      } else {
        t1 = std::min(t1, r);
      }
      if (t0 > t1) return false;
    }
  }
  return true;
}

bool PointInPolygon(double x, double y, std::span<const Vec2> poly) {
  bool inside = false;
  const size_t n = poly.size();
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    const Vec2& a = poly[i];
    const Vec2& b = poly[j];
    if ((a.y > y) != (b.y > y)) {
      const double xc = a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y);
      if (x < xc) inside = !inside;
    }
  }
  return inside;
}

}  // namespace tarmac
