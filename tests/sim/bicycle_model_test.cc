// The ego dynamics against closed forms of its discrete equations.
#include "sim/bicycle_model.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

namespace tarmac {
namespace {

constexpr double kDt = 0.1;

TEST_CASE("Bicycle: constant acceleration gives the discrete closed form", "[sim][bicycle]") {
  const VehicleParams v = PacificaParams();
  EgoState s;
  s.speed = 5.0;
  s.accel = 1.5;  // already at the commanded value: the lag holds it
  const EgoCommand cmd{1.5, 0.0};
  const int n = 50;
  for (int k = 0; k < n; ++k) s = PropagateBicycle(s, cmd, v, kDt);
  // Forward Euler: v_n = v0 + n a dt, x_n = dt sum_k v_k = v0 n dt + a dt^2 n (n - 1) / 2.
  CHECK(s.speed == Approx(5.0 + n * 1.5 * kDt).epsilon(1e-12));
  CHECK(s.x == Approx(5.0 * n * kDt + 1.5 * kDt * kDt * n * (n - 1) / 2.0).epsilon(1e-12));
  CHECK(s.y == 0.0);
  CHECK(s.heading == 0.0);
  // And the continuous answer to within the Euler error a dt t / 2.
  const double t = n * kDt;
  CHECK(s.x == Approx(5.0 * t + 0.5 * 1.5 * t * t).margin(0.5 * 1.5 * kDt * t + 1e-9));
}

TEST_CASE("Bicycle: constant steering drives a circle of radius L / tan(delta)", "[sim][bicycle]") {
  const VehicleParams v = PacificaParams();
  EgoState s;
  s.speed = 8.0;
  s.steer = 0.2;
  const double dpsi = kDt * s.speed * std::tan(s.steer) / v.wheel_base;  // heading change per step
  // Every step is a chord of a circle tangent to the start heading: the rear
  // axle stays on the circle of radius v dt / (2 sin(dpsi / 2)) centred on
  // the left of the start.
  const double r = kDt * s.speed / (2.0 * std::sin(dpsi / 2.0));
  const double centre_x = 0.0, centre_y = r;
  for (int k = 0; k < 300; ++k) {
    s = PropagateBicycle(s, {0.0, 0.0}, v, kDt);
    REQUIRE(std::hypot(s.x - centre_x, s.y - centre_y) == Approx(r).epsilon(1e-9));
  }
  // The continuous radius L / tan(delta) agrees to O(dpsi^2).
  CHECK(r == Approx(v.wheel_base / std::tan(0.2)).epsilon(dpsi * dpsi));
  CHECK(s.yaw_rate == Approx(8.0 * std::tan(0.2) / v.wheel_base));
}

TEST_CASE("Bicycle: first-order actuator lags and the steering limit", "[sim][bicycle]") {
  const VehicleParams v = PacificaParams();
  EgoState s;
  s = PropagateBicycle(s, {3.0, 0.0}, v, kDt);
  CHECK(s.accel == Approx(kDt / (kDt + 0.2) * 3.0));  // one step of the 0.2 s lag
  EgoState t;
  t = PropagateBicycle(t, {0.0, 1.0}, v, kDt);
  CHECK(t.steer == Approx(kDt * kDt / (kDt + 0.05) * 1.0));  // 0.05 s steering lag
  EgoState u;
  u.steer = 1.0;
  for (int k = 0; k < 20; ++k) u = PropagateBicycle(u, {0.0, 5.0}, v, kDt);
  CHECK(u.steer == Approx(std::numbers::pi / 3.0));  // clipped at 60 degrees
}

TEST_CASE("Bicycle: the box centre sits ahead of the rear axle", "[sim][bicycle]") {
  const VehicleParams v = PacificaParams();
  const EgoState s = EgoStateFromCenter(10.0, 5.0, std::numbers::pi / 2.0, 3.0, v);
  CHECK(s.x == Approx(10.0).margin(1e-12));
  CHECK(s.y == Approx(5.0 - 1.461));
  const Box b = EgoBox(s, v);
  CHECK(b.x == Approx(10.0).margin(1e-12));
  CHECK(b.y == Approx(5.0));
  CHECK(b.length == 5.176);
}

}  // namespace
}  // namespace tarmac
