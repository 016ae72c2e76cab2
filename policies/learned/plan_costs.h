// Differentiable costs of planned trajectories, computed from the model
// contract's observation alone (docs/learned-planners.md, "Plan costs"):
// what the diffusion planner's guidance descends and what the planners use to
// rank candidate plans. Both are zero for a plan that stays near lane centre
// lines and clear of the other movers' constant-velocity extrapolations.
//
// poses: [B, N, H, 3] candidate plans (x, y [m], heading [rad], actor frame,
// 0.1 s apart), obs: [B, kObservationFloats]. Costs [B, N] in m².
//
// LibTorch inside: include only from policies/learned/.
#pragma once

#include <torch/torch.h>

namespace tarmac::learned {

struct PlanCostParams {
  int steps = 80;                 // poses checked: all 8 s (with 4 s, slow drifts off the road showed too late)
  double lane_half_width_m = 2.0;  // distance to the nearest lane centre-line point that costs nothing [m]
  double front_margin_m = 2.0;    // added to the summed half-lengths of ego and mover [m]
  double side_margin_m = 0.3;     // added to the summed half-widths [m]
  double off_lane_weight = 1.0;
  double collision_weight = 10.0;
};

// Squared distance beyond lane_half_width_m from each pose to the nearest
// valid lane point, summed over the first `steps` poses. A scene without
// lanes costs nothing.
torch::Tensor OffLaneCost(const torch::Tensor& poses, const torch::Tensor& obs, const PlanCostParams& p = {});

// Squared penetration of each pose into every valid mover's box (inflated by
// the ego's half-size and the margins, as an ellipse in the mover's frame),
// the mover moving at its current velocity; only movers ahead of the pose
// count (one closing in from behind is its driver's to avoid). Summed over
// the first `steps` poses and the movers, in units where full overlap is 1,
// times the square of the summed half-length [m²].
torch::Tensor CollisionCost(const torch::Tensor& poses, const torch::Tensor& obs, const PlanCostParams& p = {});

// off_lane_weight * OffLaneCost + collision_weight * CollisionCost.
torch::Tensor PlanCost(const torch::Tensor& poses, const torch::Tensor& obs, const PlanCostParams& p = {});

}  // namespace tarmac::learned
