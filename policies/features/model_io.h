// The model contract, version 1: the numbers and the tensor layout that the
// feature builder writes, learned planners read, and checkpoints record.
// docs/model-io.md states the same contract in prose; change one, change both,
// and bump kContractVersion when any value or offset here changes.
//
// Frame ("actor frame"): origin at the actor's box centre now, x forward
// along its heading, y to its left; metres, radians, seconds.
// Inputs are normalised by the builder (divided by the scales below);
// outputs and training targets are in plain metres and radians.
#pragma once

#include <cstddef>

namespace tarmac::model_io {

inline constexpr int kContractVersion = 1;

// ---- sizes
inline constexpr int kHistorySteps = 21;   // T: now and the 20 steps before, 0.1 s apart
inline constexpr double kStepS = 0.1;      // [s]
inline constexpr int kMaxAgents = 32;      // K: nearest movers
inline constexpr int kMaxLanes = 64;       // M: nearest lanes
inline constexpr int kLanePoints = 20;     // P: points per lane polyline
inline constexpr int kMaxStatic = 16;      // S: nearest static objects
inline constexpr int kFutureSteps = 80;    // H: output poses at 0.1 s .. 8.0 s
inline constexpr int kMaxModes = 6;        // N: most modes a model may output

// ---- selection (all distances from the actor's box centre now)
inline constexpr double kAgentRadiusM = 80.0;   // movers farther away are left out [m]
inline constexpr double kStaticRadiusM = 50.0;  // static objects farther away are left out [m]
inline constexpr double kLaneRadiusM = 50.0;    // lanes whose nearest point is farther are left out [m]
inline constexpr double kLaneSpacingM = 3.0;    // spacing of the resampled lane points [m]
inline constexpr double kLaneBackM = 9.0;       // a lane window starts this far behind its foot point [m]

// ---- feature widths
// State of one entity at one step: x, y, cos h, sin h, vx, vy.
inline constexpr int kStateDim = 6;
// Agent attributes: length, width, is vehicle, is pedestrian, is cyclist
// (other and unspecified movers: all three 0).
inline constexpr int kAgentAttrDim = 5;
// Ego attributes: length, width.
inline constexpr int kEgoAttrDim = 2;
// Lane point: x, y, cos h, sin h (h: the lane's direction at the point).
inline constexpr int kLanePointDim = 4;
// Lane attributes: speed limit, speed limit known, light unknown, green,
// yellow, red, on route, in intersection (columns below).
inline constexpr int kLaneAttrDim = 8;
inline constexpr int kLaneSpeedLimit = 0, kLaneSpeedLimitKnown = 1, kLaneLightUnknown = 2, kLaneLightGreen = 3,
                     kLaneLightYellow = 4, kLaneLightRed = 5, kLaneOnRoute = 6, kLaneInIntersection = 7;
// Static object: x, y, cos h, sin h, length, width.
inline constexpr int kStaticDim = 6;
// Output pose: x, y, heading.
inline constexpr int kPoseDim = 3;

// ---- normalisation: feature = value / scale
inline constexpr double kPositionScale = 50.0;    // x, y [m]
inline constexpr double kVelocityScale = 10.0;    // vx, vy [m/s]
inline constexpr double kSizeScale = 5.0;         // length, width [m]
inline constexpr double kSpeedLimitScale = 30.0;  // lane speed limit [m/s]

// ---- observation layout: one contiguous float buffer, row-major blocks at
// fixed offsets (in floats). Time index 0 is the oldest step, T - 1 is now.
struct Block {
  size_t offset;
  size_t size;
};
inline constexpr size_t kT = kHistorySteps, kK = kMaxAgents, kM = kMaxLanes, kP = kLanePoints, kS = kMaxStatic;
inline constexpr Block kEgoHistory{0, kT * kStateDim};                                 // [T][6]
inline constexpr Block kEgoMask{kEgoHistory.offset + kEgoHistory.size, kT};           // [T]
inline constexpr Block kEgoAttr{kEgoMask.offset + kEgoMask.size, kEgoAttrDim};        // [2]
inline constexpr Block kAgentHistory{kEgoAttr.offset + kEgoAttr.size, kK * kT * kStateDim};  // [K][T][6]
inline constexpr Block kAgentMask{kAgentHistory.offset + kAgentHistory.size, kK * kT};       // [K][T]
inline constexpr Block kAgentAttr{kAgentMask.offset + kAgentMask.size, kK * kAgentAttrDim};  // [K][5]
inline constexpr Block kAgentValid{kAgentAttr.offset + kAgentAttr.size, kK};                 // [K]
inline constexpr Block kLanePointsBlock{kAgentValid.offset + kAgentValid.size, kM * kP * kLanePointDim};  // [M][P][4]
inline constexpr Block kLanePointMask{kLanePointsBlock.offset + kLanePointsBlock.size, kM * kP};        // [M][P]
inline constexpr Block kLaneAttr{kLanePointMask.offset + kLanePointMask.size, kM * kLaneAttrDim};       // [M][8]
inline constexpr Block kLaneValid{kLaneAttr.offset + kLaneAttr.size, kM};                               // [M]
inline constexpr Block kStatic{kLaneValid.offset + kLaneValid.size, kS * kStaticDim};                   // [S][6]
inline constexpr Block kStaticValid{kStatic.offset + kStatic.size, kS};                                 // [S]
inline constexpr size_t kObservationFloats = kStaticValid.offset + kStaticValid.size;

// ---- training target layout (a separate buffer)
inline constexpr Block kTargetPoses{0, static_cast<size_t>(kFutureSteps) * kPoseDim};       // [H][3]
inline constexpr Block kTargetMask{kTargetPoses.offset + kTargetPoses.size, kFutureSteps};  // [H]
inline constexpr size_t kTargetFloats = kTargetMask.offset + kTargetMask.size;

}  // namespace tarmac::model_io
