// The LQR tracker converging onto straight and curved references.
#include "sim/tracker.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

namespace tarmac {
namespace {

constexpr double kDt = 0.1;

// A reference of centre poses along a straight line y = 0 at speed v, from x0.
Trajectory Straight(double x0, double v, int n) {
  Trajectory t;
  for (int k = 0; k <= n; ++k) t.poses.push_back({x0 + v * k * kDt, 0.0, 0.0});
  return t;
}

// A reference whose rear axle runs along a circle of radius r (counter-
// clockwise, centre (0, r)) from arc length s0 at speed v: the box centre is
// d ahead along the heading, as for a real car on that path.
Trajectory Arc(double r, double s0, double v, int n, double d) {
  Trajectory t;
  for (int k = 0; k <= n; ++k) {
    const double a = (s0 + v * k * kDt) / r;
    t.poses.push_back({r * std::sin(a) + d * std::cos(a), r - r * std::cos(a) + d * std::sin(a), a});
  }
  return t;
}

TEST_CASE("Tracker: converges onto a straight reference from an offset", "[sim][tracker]") {
  const VehicleParams v = PacificaParams();
  EgoState s = EgoStateFromCenter(0.0, 1.0, 0.1, 10.0, v);  // 1 m left, 0.1 rad off
  for (int k = 0; k < 100; ++k) {
    const Box box = EgoBox(s, v);
    const Trajectory ref = Straight(box.x, 10.0, 80);
    s = PropagateBicycle(s, TrackTrajectory(s, ref, v), v, kDt);
  }
  const Box box = EgoBox(s, v);
  CHECK(std::abs(box.y) < 0.05);
  CHECK(std::abs(box.heading) < 0.01);
  CHECK(s.speed == Approx(10.0).margin(0.05));
}

TEST_CASE("Tracker: follows a curve of radius 40 m with a small error", "[sim][tracker]") {
  const VehicleParams v = PacificaParams();
  const double r = 40.0, speed = 8.0;
  EgoState s;  // rear axle 0.5 m outside the circle, heading +x, wheels straight
  s.y = -0.5;
  s.speed = speed;
  double worst = 0.0;
  for (int k = 0; k < 150; ++k) {
    // Reference from the ego's own arc position, as a planner would give it.
    const double s0 = r * std::atan2(s.x, r - s.y);
    s = PropagateBicycle(s, TrackTrajectory(s, Arc(r, s0, speed, 80, v.rear_axle_to_center), v), v, kDt);
    if (k >= 100) worst = std::max(worst, std::abs(std::hypot(s.x, s.y - r) - r));
  }
  CHECK(worst < 0.03);                         // the rear axle settles onto the circle
  CHECK(s.speed == Approx(speed).margin(0.1));
  CHECK(std::tan(s.steer) == Approx(v.wheel_base / r).epsilon(0.05));  // steady steering = atan(L / R)
}

TEST_CASE("Tracker: fitted profiles recover speed and curvature of clean poses", "[sim][tracker]") {
  Pose2 poses[31];
  const double r = 25.0, speed = 6.0;
  for (int k = 0; k <= 30; ++k) {
    const double a = speed * k * kDt / r;
    poses[k] = {r * std::sin(a), r - r * std::cos(a), a};
  }
  const FittedProfiles f = FitProfiles(poses, 31, kDt, TrackerParams{});
  REQUIRE(f.count == 30);
  for (int j = 0; j < 30; ++j) {
    CHECK(f.speed[j] == Approx(speed).epsilon(0.01));
    CHECK(f.curvature[j] == Approx(1.0 / r).epsilon(0.02));
  }
}

TEST_CASE("Tracker: stops on a standing reference", "[sim][tracker]") {
  const VehicleParams v = PacificaParams();
  EgoState s = EgoStateFromCenter(0.0, 0.0, 0.0, 0.15, v);
  Trajectory stand;
  for (int k = 0; k <= 80; ++k) stand.poses.push_back({0.0, 0.0, 0.0});  // stay where you are
  for (int k = 0; k < 60; ++k) s = PropagateBicycle(s, TrackTrajectory(s, stand, v), v, kDt);
  CHECK(std::abs(s.speed) < 0.02);
}

}  // namespace
}  // namespace tarmac
