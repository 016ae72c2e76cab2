#include "sim/geometry.h"

#include <catch2/catch.hpp>

#include <numbers>
#include <random>

namespace tarmac {
namespace {

// Reference overlap test: sample points of box a and test them in box b's frame.
bool PointInBox(const Box& b, double x, double y) {
  const double c = std::cos(b.heading), s = std::sin(b.heading);
  const double lx = c * (x - b.x) + s * (y - b.y), ly = -s * (x - b.x) + c * (y - b.y);
  return std::abs(lx) <= 0.5 * b.length && std::abs(ly) <= 0.5 * b.width;
}

bool SampledOverlap(const Box& a, const Box& b) {
  const double c = std::cos(a.heading), s = std::sin(a.heading);
  for (int i = 0; i <= 60; ++i) {
    for (int j = 0; j <= 60; ++j) {
      const double u = (i / 60.0 - 0.5) * a.length, v = (j / 60.0 - 0.5) * a.width;
      if (PointInBox(b, a.x + c * u - s * v, a.y + s * u + c * v)) return true;
    }
  }
  return false;
}

TEST_CASE("Geometry: box overlap agrees with dense sampling", "[sim][geometry]") {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> pos(-6, 6), ang(-std::numbers::pi, std::numbers::pi), len(1, 6);
  int agree = 0, disputed = 0;
  for (int k = 0; k < 400; ++k) {
    const Box a{0, 0, ang(rng), len(rng), len(rng) / 2};
    const Box b{pos(rng), pos(rng), ang(rng), len(rng), len(rng) / 2};
    const bool exact = BoxesOverlap(a, b);
    const bool sampled = SampledOverlap(a, b);
    if (exact == sampled) {
      ++agree;
    } else {
      // Sampling can only miss a thin overlap; then the boxes nearly touch.
      CHECK(exact);
      CHECK(BoxDistance(a, b) == 0.0);
      ++disputed;
    }
  }
  CHECK(disputed <= 4);
  CHECK(agree + disputed == 400);
}

TEST_CASE("Geometry: distances and corners of boxes", "[sim][geometry]") {
  const Box a{0, 0, 0, 4, 2};
  const Box b{7, 0, 0, 4, 2};
  CHECK(BoxDistance(a, b) == Approx(3.0));
  const Box c{0, 5, std::numbers::pi / 2, 4, 2};  // rotated: spans y 3..7
  CHECK(BoxDistance(a, c) == Approx(2.0));
  const auto corners = Corners(a);
  CHECK(corners[0].x == 2.0);  // front-left
  CHECK(corners[0].y == 1.0);
  CHECK(corners[2].x == -2.0);  // rear-right
  CHECK(corners[2].y == -1.0);
  CHECK(SegmentTouchesBox({2, -1}, {2, 1}, Box{2.5, 0, 0, 1, 1}));
  CHECK_FALSE(SegmentTouchesBox({2, -1}, {2, 1}, Box{3.5, 0, 0, 1, 1}));
  const std::vector<Vec2> square = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  CHECK(PointInPolygon(0.5, 0.5, square));
  CHECK_FALSE(PointInPolygon(1.5, 0.5, square));
}

}  // namespace
}  // namespace tarmac
