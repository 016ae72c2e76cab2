#include "policies/learned/plan_costs.h"

#include <algorithm>

#include "policies/features/model_io.h"

namespace tarmac::learned {
namespace {

namespace io = model_io;
constexpr int64_t kT = io::kHistorySteps, kK = io::kMaxAgents;

torch::Tensor Block(const torch::Tensor& obs, const io::Block& b) {
  return obs.narrow(1, static_cast<int64_t>(b.offset), static_cast<int64_t>(b.size));
}

// The first min(steps, H) poses.
torch::Tensor Head(const torch::Tensor& poses, int steps) {
  return poses.narrow(2, 0, std::clamp<int64_t>(steps, 1, poses.size(2)));
}

}  // namespace

torch::Tensor OffLaneCost(const torch::Tensor& poses, const torch::Tensor& obs, const PlanCostParams& p) {
  const int64_t b = obs.size(0);
  constexpr int64_t kM = io::kMaxLanes, kP = io::kLanePoints;
  const torch::Tensor xy = Head(poses, p.steps).narrow(-1, 0, 2);                                             // [B, N, S, 2]
  const torch::Tensor points = Block(obs, io::kLanePointsBlock).view({b, kM, kP, io::kLanePointDim}).narrow(-1, 0, 2) *
                               io::kPositionScale;                                                             // [B, M, P, 2]
  const torch::Tensor mask = Block(obs, io::kLanePointMask).view({b, kM, kP}) > 0.5f;                         // [B, M, P]
  // Segments between consecutive points; a lane's last valid point ends its
  // last segment (a lane of one point is a segment of length 0). The valid
  // points are a prefix of the row, so segment i is valid with point i.
  const torch::Tensor a = points.narrow(2, 0, kP - 1);
  const torch::Tensor e = torch::where(mask.narrow(2, 1, kP - 1).unsqueeze(-1), points.narrow(2, 1, kP - 1), a);
  const torch::Tensor from = a.reshape({b, -1, 2}), along = (e - a).reshape({b, -1, 2});                      // [B, G, 2]
  const torch::Tensor valid = mask.narrow(2, 0, kP - 1).reshape({b, -1});                                     // [B, G]
  auto distance = [&](const torch::Tensor& q, const torch::Tensor& o, const torch::Tensor& d) {
    // q [B, N, S, 2] to the segments o + u d, u in [0, 1] ([B, G, 2]): [B, N, S, G].
    const torch::Tensor rel = q.unsqueeze(3) - o.view({o.size(0), 1, 1, -1, 2});
    const torch::Tensor dd = d.view({d.size(0), 1, 1, -1, 2});
    const torch::Tensor u = ((rel * dd).sum(-1) / dd.pow(2).sum(-1).clamp_min(1e-6)).clamp(0.0, 1.0).detach();
    return (rel - u.unsqueeze(-1) * dd).pow(2).sum(-1);
  };
  torch::Tensor nearest;                                                                                      // [B, N, S]
  if (b == 1) {
    // One observation (the CPU planners' case): only its valid segments.
    const torch::Tensor keep = valid[0];
    if (!keep.any().item<bool>()) return torch::zeros({b, xy.size(1)}, xy.options());
    nearest = distance(xy, from[0].index({keep}).unsqueeze(0), along[0].index({keep}).unsqueeze(0));
  } else {
    nearest = distance(xy, from, along).masked_fill(valid.logical_not().view({b, 1, 1, -1}), 1e8);
  }
  nearest = nearest.amin(-1).clamp_min(1e-6).sqrt();
  const torch::Tensor cost = torch::relu(nearest - p.lane_half_width_m).pow(2).sum(-1);                      // [B, N]
  return cost * valid.any(1).to(cost.dtype()).unsqueeze(1);
}

torch::Tensor CollisionCost(const torch::Tensor& poses, const torch::Tensor& obs, const PlanCostParams& p) {
  const int64_t b = obs.size(0);
  const torch::Tensor plan = Head(poses, p.steps);  // [B, N, S, 3]
  const int64_t s = plan.size(2);
  // Movers now: position [m], heading (cos, sin), velocity [m/s], size [m].
  const torch::Tensor now = Block(obs, io::kAgentHistory).view({b, kK, kT, io::kStateDim}).select(2, kT - 1);  // [B, K, 6]
  const torch::Tensor valid = Block(obs, io::kAgentValid) * Block(obs, io::kAgentMask).view({b, kK, kT}).select(2, kT - 1);
  const torch::Tensor attr = Block(obs, io::kAgentAttr).view({b, kK, io::kAgentAttrDim});
  const torch::Tensor ego_attr = Block(obs, io::kEgoAttr);  // [B, 2]
  const torch::Tensor pos = now.narrow(-1, 0, 2) * io::kPositionScale, vel = now.narrow(-1, 4, 2) * io::kVelocityScale;
  const torch::Tensor c = now.select(-1, 2).view({b, 1, kK, 1}), sn = now.select(-1, 3).view({b, 1, kK, 1});
  // Their positions at the plan's times, 0.1 s .. s * 0.1 s.
  const torch::Tensor t = torch::arange(1, s + 1, obs.options()).mul(io::kStepS).view({1, 1, s, 1});
  const torch::Tensor at = pos.unsqueeze(2) + vel.unsqueeze(2) * t;                       // [B, K, S, 2]
  const torch::Tensor rel = plan.narrow(-1, 0, 2).unsqueeze(2) - at.unsqueeze(1);         // [B, N, K, S, 2]
  const torch::Tensor rx = rel.select(-1, 0), ry = rel.select(-1, 1);                     // [B, N, K, S]
  const torch::Tensor dx = rx * c + ry * sn, dy = ry * c - rx * sn;                      // in the mover's frame
  const torch::Tensor half_len =
      ((attr.select(-1, 0) + ego_attr.select(-1, 0).unsqueeze(1)) * (io::kSizeScale / 2.0) + p.front_margin_m).view({b, 1, kK, 1});
  const torch::Tensor half_wid =
      ((attr.select(-1, 1) + ego_attr.select(-1, 1).unsqueeze(1)) * (io::kSizeScale / 2.0) + p.side_margin_m).view({b, 1, kK, 1});
  const torch::Tensor r = ((dx / half_len).pow(2) + (dy / half_wid).pow(2) + 1e-9).sqrt();
  const torch::Tensor penetration = torch::relu(1.0 - r);
  // Ahead of the pose: the mover's centre has a positive x in the pose's frame.
  const torch::Tensor heading = plan.select(-1, 2).unsqueeze(2);                          // [B, N, 1, S]
  const torch::Tensor ahead = ((-rx * torch::cos(heading) - ry * torch::sin(heading)) > 0.0).to(obs.dtype()).detach();
  const torch::Tensor weight = valid.view({b, 1, kK, 1}) * ahead * half_len.pow(2);
  return (penetration.pow(2) * weight).sum({2, 3});  // [B, N]
}

torch::Tensor PlanCost(const torch::Tensor& poses, const torch::Tensor& obs, const PlanCostParams& p) {
  return p.off_lane_weight * OffLaneCost(poses, obs, p) + p.collision_weight * CollisionCost(poses, obs, p);
}

}  // namespace tarmac::learned
