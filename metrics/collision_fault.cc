#include "metrics/collision_fault.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tarmac {

CollisionType ClassifyCollision(const EgoAtContact& ego, const CollisionParty& other) {
  if (std::abs(ego.speed) <= kStoppedSpeed) return CollisionType::kStoppedEgo;
  if (other.is_static || std::abs(other.speed) <= kStoppedSpeed) return CollisionType::kStoppedTrack;
  const double bearing = std::abs(std::remainder(
      std::atan2(other.box.y - ego.rear_y, other.box.x - ego.rear_x) - ego.box.heading, 2.0 * std::numbers::pi));
  if (bearing > kBehindAngle) return CollisionType::kActiveRear;
  const std::array<Vec2, 4> c = Corners(ego.box);  // FL, RL, RR, FR
  if (SegmentTouchesBox(c[0], c[3], other.box)) return CollisionType::kActiveFront;
  return CollisionType::kActiveLateral;
}

bool IsAtFault(CollisionType type, bool ego_between_lanes_or_offroad) {
  switch (type) {
    case CollisionType::kActiveFront:
    case CollisionType::kStoppedTrack: return true;
    case CollisionType::kActiveLateral: return ego_between_lanes_or_offroad;
    default: return false;
  }
}

const char* CollisionTypeName(CollisionType type) {
  switch (type) {
    case CollisionType::kStoppedEgo: return "stopped_ego";
    case CollisionType::kStoppedTrack: return "stopped_track";
    case CollisionType::kActiveRear: return "active_rear";
    case CollisionType::kActiveFront: return "active_front";
    case CollisionType::kActiveLateral: return "active_lateral";
  }
  return "unknown";
}

}  // namespace tarmac
