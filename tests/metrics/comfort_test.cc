// Savitzky-Golay filtering against polynomials, and the comfort bounds.
#include "metrics/comfort.h"

#include <catch2/catch.hpp>

#include <vector>

namespace tarmac {
namespace {

TEST_CASE("Savitzky-Golay reproduces quadratics and their derivatives exactly", "[metrics][comfort]") {
  const double dt = 0.1;
  std::vector<double> y;
  for (int i = 0; i < 30; ++i) {
    const double t = i * dt;
    y.push_back(3 * t * t + 2 * t + 1);
  }
  const std::vector<double> s0 = SavitzkyGolay(y, 7, 2, 0, dt);
  const std::vector<double> s1 = SavitzkyGolay(y, 7, 2, 1, dt);
  const std::vector<double> s2 = SavitzkyGolay(y, 7, 3, 2, dt);
  for (int i = 0; i < 30; ++i) {
    const double t = i * dt;
    CHECK(s0[static_cast<size_t>(i)] == Approx(y[static_cast<size_t>(i)]).margin(1e-9));  // ends too
    CHECK(s1[static_cast<size_t>(i)] == Approx(6 * t + 2).margin(1e-9));
    CHECK(s2[static_cast<size_t>(i)] == Approx(6.0).margin(1e-7));
  }
  // An even window is reduced by one: 8 behaves as 7.
  CHECK(SavitzkyGolay(y, 8, 2, 1, dt) == s1);
}

ComfortSignals Constant(double lon_accel) {
  ComfortSignals s;
  s.lon_accel.assign(20, lon_accel);
  for (auto* v : {&s.lat_accel, &s.jerk, &s.lon_jerk, &s.yaw_rate, &s.yaw_accel}) v->assign(20, 0.0);
  return s;
}

TEST_CASE("Comfort bounds are strict: 2.40 m/s^2 forward is already too much", "[metrics][comfort]") {
  CHECK(WithinComfortBounds(Constant(2.39)));
  CHECK_FALSE(WithinComfortBounds(Constant(2.40)));
  CHECK(WithinComfortBounds(Constant(-4.04)));
  CHECK_FALSE(WithinComfortBounds(Constant(-4.05)));
  ComfortSignals yaw = Constant(0.0);
  yaw.yaw_rate[5] = 0.95;
  CHECK_FALSE(WithinComfortBounds(yaw));
  ComfortSignals jerk = Constant(0.0);
  jerk.jerk[3] = -20.0;  // the jerk magnitude has only an upper bound
  CHECK(WithinComfortBounds(jerk));
}

TEST_CASE("Comfort signals of a steady turn", "[metrics][comfort]") {
  // 10 m/s on a 50 m radius: yaw rate 0.2 rad/s, lateral acceleration 2 m/s^2.
  std::vector<double> accel(40, 0.0), heading, speed(40, 10.0);
  for (int i = 0; i < 40; ++i) heading.push_back(0.2 * i * 0.1);
  const ComfortSignals s = ComputeComfortSignals(accel, heading, speed, 0.1);
  for (size_t i = 0; i < 40; ++i) {
    CHECK(s.yaw_rate[i] == Approx(0.2).margin(1e-9));
    CHECK(s.lat_accel[i] == Approx(2.0).margin(1e-9));
    CHECK(s.yaw_accel[i] == Approx(0.0).margin(1e-6));
  }
  CHECK(WithinComfortBounds(s));
}

}  // namespace
}  // namespace tarmac
