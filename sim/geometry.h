// Oriented boxes and the exact tests the simulator needs: box-box overlap
// (separating axis theorem), box corners, point-in-polygon and distances.
// All lengths in metres, angles in radians (CCW from +x), scenario frame.
#pragma once

#include <array>
#include <cmath>
#include <span>

#include "scenarios/map/polyline.h"

namespace tarmac {

// A box centred at (x, y), `length` along `heading`, `width` across it.
struct Box {
  double x = 0.0, y = 0.0, heading = 0.0;
  double length = 0.0, width = 0.0;
};

// The four corners, counter-clockwise from front-left: FL, RL, RR, FR.
std::array<Vec2, 4> Corners(const Box& box);

// Radius of the circle around the centre that contains the box.
inline double BoundingRadius(const Box& box) {
  return 0.5 * Norm(box.length, box.width);
}

// True if the two boxes overlap (touching counts). Exact (separating axes),
// with a bounding-circle early out.
bool BoxesOverlap(const Box& a, const Box& b);

// Signed distance between two boxes: > 0 separation [m], 0 when they touch or
// overlap (overlap depth is not computed).
double BoxDistance(const Box& a, const Box& b);

// True if the segment a-b touches the box (clipping in the box frame).
bool SegmentTouchesBox(Vec2 a, Vec2 b, const Box& box);

// Point in a simple polygon (even-odd rule); the polygon is implicitly closed.
bool PointInPolygon(double x, double y, std::span<const Vec2> polygon);

}  // namespace tarmac
