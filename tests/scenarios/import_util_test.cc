#include "scenarios/import/import_util.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

namespace tarmac {
namespace {

TEST_CASE("WrapAngle maps any angle into (-pi, pi)", "[import_util]") {
  constexpr double kPi = std::numbers::pi;
  CHECK(WrapAngle(0.0) == 0.0);
  CHECK(WrapAngle(kPi) == kPi);
  CHECK(WrapAngle(-kPi) == Approx(kPi));
  CHECK(WrapAngle(3 * kPi / 2) == Approx(-kPi / 2));
  CHECK(WrapAngle(-3 * kPi / 2) == Approx(kPi / 2));
  CHECK(WrapAngle(7 * 2 * kPi + 0.25) == Approx(0.25));
  CHECK(WrapAngle(359.0 * kPi / 180.0) == Approx(-kPi / 180.0));
}

TEST_CASE("CenterlineFromBounds pairs equal-count bounds", "[import_util]") {
  v1::Polyline left, right;
  AddPoint(&left, 0, 2);
  AddPoint(&left, 10, 2);
  AddPoint(&right, 0, -2);
  AddPoint(&right, 10, -1);
  const v1::Polyline c = CenterlineFromBounds(left, right);
  REQUIRE(c.x_size() == 2);
  CHECK(c.x(0) == 0.0);
  CHECK(c.y(0) == 0.0);
  CHECK(c.x(1) == 10.0);
  CHECK(c.y(1) == 0.5);
}

TEST_CASE("CenterlineFromBounds resamples bounds of different point counts", "[import_util]") {
  v1::Polyline left, right;
  AddPoint(&left, 0, 2);
  AddPoint(&left, 10, 2);
  AddPoint(&right, 0, -2);
  AddPoint(&right, 5, -2);
  AddPoint(&right, 10, -2);
  const v1::Polyline c = CenterlineFromBounds(left, right);
  REQUIRE(c.x_size() == 3);  // fractions {0, 0.5, 1}
  CHECK(c.x(1) == Approx(5.0));
  for (int i = 0; i < 3; ++i) CHECK(c.y(i) == Approx(0.0).margin(1e-12));
}

TEST_CASE("ParseFiniteDouble rejects text, NaN and infinity with the field name", "[import_util]") {
  CHECK(ParseFiniteDouble(" -12.5 ", "x") == -12.5);
  CHECK(ParseFiniteDouble("+3e2", "x") == 300.0);
  CHECK_THROWS_WITH(ParseFiniteDouble("abc", "point/x"), "point/x: 'abc' is not a finite number");
  CHECK_THROWS_WITH(ParseFiniteDouble("nan", "y"), "y: 'nan' is not a finite number");
  CHECK_THROWS_WITH(ParseFiniteDouble("inf", "y"), "y: 'inf' is not a finite number");
  CHECK_THROWS_WITH(ParseFiniteDouble("", "y"), "y: '' is not a finite number");
  CHECK_THROWS_WITH(ParseInteger("1.5", "step"), "step: '1.5' is not an integer");
}

TEST_CASE("FinishScenario zeroes invalid steps, wraps headings and names bad values", "[import_util]") {
  v1::Scenario s;
  s.mutable_time()->set_dt_s(0.1);
  s.mutable_time()->set_num_steps(2);
  v1::Track* t = s.add_tracks();
  t->set_id("a");
  InitTrack(2, t);
  t->set_x(0, 5.0);
  t->set_heading(1, 4.0);
  t->set_valid(1, true);
  FinishScenario(&s);
  CHECK(s.tracks(0).x(0) == 0.0);
  CHECK(s.tracks(0).heading(1) == Approx(4.0 - 2 * std::numbers::pi));

  s.mutable_tracks(0)->set_y(1, std::nan(""));
  CHECK_THROWS_WITH(FinishScenario(&s), "track 'a' step 1: y is nan");
  s.mutable_tracks(0)->set_y(1, 0.0);
  s.mutable_tracks(0)->mutable_vx()->RemoveLast();
  CHECK_THROWS_WITH(FinishScenario(&s), Catch::Contains("track 'a': per-step arrays"));
}

}  // namespace
}  // namespace tarmac
