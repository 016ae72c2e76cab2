// nuPlan's collision classification, rule by rule, at its thresholds.
#include "metrics/collision_fault.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

namespace tarmac {
namespace {

// The ego: a 5 x 2 m box at the origin heading +x, rear axle 1.41 m behind.
EgoAtContact Ego(double speed) { return {Box{0, 0, 0, 5, 2}, -1.41, 0.0, speed}; }
CollisionParty Other(double x, double y, double heading, double speed, bool is_static = false) {
  return {Box{x, y, heading, 4.5, 1.8}, speed, is_static};
}

TEST_CASE("Collision fault: a stopped ego is never at fault", "[metrics][collision]") {
  CHECK(ClassifyCollision(Ego(0.05), Other(4, 0, std::numbers::pi, 5)) == CollisionType::kStoppedEgo);
  CHECK(ClassifyCollision(Ego(-0.05), Other(4, 0, std::numbers::pi, 5)) == CollisionType::kStoppedEgo);
  CHECK(ClassifyCollision(Ego(0.051), Other(4, 0, std::numbers::pi, 5)) == CollisionType::kActiveFront);
  CHECK_FALSE(IsAtFault(CollisionType::kStoppedEgo, true));
}

TEST_CASE("Collision fault: hitting something stopped or static is the ego's fault", "[metrics][collision]") {
  CHECK(ClassifyCollision(Ego(3), Other(4, 0, 0, 0.05)) == CollisionType::kStoppedTrack);
  CHECK(ClassifyCollision(Ego(3), Other(4, 0, 0, 0.06)) != CollisionType::kStoppedTrack);
  CHECK(ClassifyCollision(Ego(3), Other(0, 1.5, 0, 9.0, /*is_static=*/true)) == CollisionType::kStoppedTrack);
  CHECK(IsAtFault(CollisionType::kStoppedTrack, false));
}

TEST_CASE("Collision fault: from behind (beyond 150 degrees) is not the ego's fault", "[metrics][collision]") {
  CHECK(ClassifyCollision(Ego(3), Other(-4, 0, 0, 6)) == CollisionType::kActiveRear);
  // Exactly at 150 degrees from the rear axle: not behind.
  const double a = 150.0 * std::numbers::pi / 180.0;
  const double r = 2.0;
  const CollisionParty at150 = Other(-1.41 + r * std::cos(a), r * std::sin(a), 0, 6);
  CHECK(ClassifyCollision(Ego(3), at150) != CollisionType::kActiveRear);
  const double b = 151.0 * std::numbers::pi / 180.0;
  CHECK(ClassifyCollision(Ego(3), Other(-1.41 + r * std::cos(b), r * std::sin(b), 0, 6)) == CollisionType::kActiveRear);
  CHECK_FALSE(IsAtFault(CollisionType::kActiveRear, true));
}

TEST_CASE("Collision fault: the front edge at fault, a side contact only when straddling lanes",
          "[metrics][collision]") {
  CHECK(ClassifyCollision(Ego(3), Other(4.5, 0.5, std::numbers::pi, 4)) == CollisionType::kActiveFront);
  CHECK(IsAtFault(CollisionType::kActiveFront, false));
  CHECK(ClassifyCollision(Ego(3), Other(0.0, 1.8, 0, 4)) == CollisionType::kActiveLateral);
  CHECK_FALSE(IsAtFault(CollisionType::kActiveLateral, false));
  CHECK(IsAtFault(CollisionType::kActiveLateral, true));
}

}  // namespace
}  // namespace tarmac
