// Turning a model's output (model contract, docs/model-io.md: H poses of the
// actor's box centre in its frame at now, 0.1 s apart, optionally N modes with
// scores) back into the simulator's Trajectory (scenario frame).
#pragma once

#include <span>

#include "policies/features/actor_frame.h"
#include "scenarios/result.h"
#include "sim/trajectory.h"

namespace tarmac {

// `poses`: model_io::kFutureSteps rows of (x [m], y [m], heading [rad]) at
// now + 0.1 s .. now + 8 s in `frame`. Fills `out` with kFutureSteps + 1 poses
// at `dt`: pose 0 is the frame's origin (the actor now), pose k the k-th row
// in the scenario frame, headings wrapped to (-pi, pi]. Fails, naming the
// first bad value, if the size is wrong or a value is not finite.
Result<void> DecodeTrajectory(const ActorFrame& frame, std::span<const float> poses, double dt, Trajectory* out);

// Removes backing up from `plan`: a pose behind the last pose the plan has
// reached (behind along that pose's heading) is replaced by that pose, so
// the plan waits there until its path is ahead again; poses ahead are left
// as they are (bit for bit), so the plan never goes farther than planned.
// The learned planners drive forward: their "stop" plans tend to creep
// backwards by a metre or two over 8 s, which the tracker drove, into the
// car behind (nuScenes scene-1100).
void RemoveBackingUp(Trajectory* plan);

// The mode to drive: the highest score, the lowest index among equal ones.
// `scores` must not be empty.
int BestMode(std::span<const float> scores);

}  // namespace tarmac
