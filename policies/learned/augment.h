// Training augmentation (docs/learned-planners.md, "augmentation"): the
// sampled vehicle's state now is perturbed — shifted sideways, turned, its
// speed scaled — and the whole sample (observation and target) re-expressed in
// the perturbed actor frame, so that the model sees starts off the logged path
// and learns to steer back to it. Works on the contract's float buffers; no
// LibTorch.
#pragma once

#include <cstdint>
#include <span>

namespace tarmac {

struct AugmentParams {
  double probability = 0.5;   // share of training samples perturbed
  double lateral_m = 1.0;     // shift along the actor's y axis, uniform in [-lateral_m, lateral_m] [m]
  double heading_rad = 0.15;  // turn, uniform in [-heading_rad, heading_rad] [rad]
  double speed_frac = 0.1;    // speed now scaled by 1 + uniform in [-speed_frac, speed_frac]
};

struct Perturbation {
  double dy = 0.0;      // [m, actor frame]
  double dpsi = 0.0;    // [rad]
  double speed = 1.0;   // factor on the actor's velocity now
  bool any() const { return dy != 0.0 || dpsi != 0.0 || speed != 1.0; }
};

// The perturbation of one sample, from a generator seeded by (seed, epoch,
// sample id) alone: the same whatever the batch or thread.
Perturbation DrawPerturbation(const AugmentParams& p, uint64_t seed, uint64_t epoch, uint64_t sample);

// Re-expresses a training sample (observation: model_io::kObservationFloats,
// target: model_io::kTargetFloats) in the frame moved by (0, dy) and turned by
// dpsi, and scales the actor's velocity now. Past ego states, agents, lanes,
// static objects and the target keep their place in the world; the actor's
// state now becomes the new origin. Masked and padding entries stay 0. Which
// agents and lanes were selected is not recomputed (a metre's shift changes
// little of it).
void ApplyPerturbation(const Perturbation& p, std::span<float> obs, std::span<float> target);

}  // namespace tarmac
