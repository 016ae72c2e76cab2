// Who is to blame for a collision: nuPlan's classification of an ego-agent
// contact (docs/metrics.md). Used by the metrics and by planners that score
// their own proposals (pdm).
#pragma once

#include "sim/geometry.h"

namespace tarmac {

enum class CollisionType {
  kStoppedEgo,     // the ego stood still (<= 0.05 m/s): never the ego's fault
  kStoppedTrack,   // the other object stood still or is static: the ego's fault
  kActiveRear,     // the other came from behind (> 150 deg off the ego's heading): not the ego's fault
  kActiveFront,    // the ego's front edge hit it: the ego's fault
  kActiveLateral,  // a side contact: the ego's fault only while it straddles lanes or is off the road
};

struct CollisionParty {
  Box box;                // the object's box at contact
  double speed = 0.0;     // [m/s]
  bool is_static = false; // a static object (cone, barrier, parked obstacle)
};

// The ego at contact: its box, its rear axle and its speed.
struct EgoAtContact {
  Box box;
  double rear_x = 0.0, rear_y = 0.0;  // rear axle [m]
  double speed = 0.0;                 // [m/s]
};

inline constexpr double kStoppedSpeed = 0.05;        // [m/s]
inline constexpr double kBehindAngle = 150.0 * 3.14159265358979323846 / 180.0;  // [rad]

CollisionType ClassifyCollision(const EgoAtContact& ego, const CollisionParty& other);

// At fault: front or stopped-track collisions, and lateral ones while the ego
// is in more than one lane or partly off the drivable area.
bool IsAtFault(CollisionType type, bool ego_between_lanes_or_offroad);

const char* CollisionTypeName(CollisionType type);

}  // namespace tarmac
