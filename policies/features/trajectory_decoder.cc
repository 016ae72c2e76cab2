#include "policies/features/trajectory_decoder.h"

#include <cmath>

#include <fmt/format.h>

#include "policies/features/model_io.h"
#include "scenarios/import/import_util.h"

namespace tarmac {

Result<void> DecodeTrajectory(const ActorFrame& frame, std::span<const float> poses, double dt, Trajectory* out) {
  constexpr size_t kRows = model_io::kFutureSteps;
  constexpr size_t kWidth = model_io::kPoseDim;
  if (poses.size() != kRows * kWidth) {
    return Error{fmt::format("model output: {} floats, expected {} ({} poses x {})", poses.size(), kRows * kWidth,
                             kRows, kWidth)};
  }
  for (size_t i = 0; i < poses.size(); ++i) {
    if (!std::isfinite(poses[i])) {
      return Error{fmt::format("model output: pose {} value {} is {}", i / kWidth, i % kWidth, poses[i])};
    }
  }
  out->dt = dt;
  out->poses.resize(kRows + 1);
  out->poses[0] = {frame.x, frame.y, WrapAngle(frame.heading)};
  for (size_t k = 0; k < kRows; ++k) {
    const float* row = poses.data() + k * kWidth;
    Pose2 p = frame.PoseToWorld(static_cast<double>(row[0]), static_cast<double>(row[1]),
                                static_cast<double>(row[2]));
    p.heading = WrapAngle(p.heading);
    out->poses[k + 1] = p;
  }
  return {};
}

void RemoveBackingUp(Trajectory* plan) {
  std::vector<Pose2>& p = plan->poses;
  if (p.empty()) return;
  Pose2 held = p[0];  // the last pose the plan reached going forward
  for (size_t k = 1; k < p.size(); ++k) {
    const double along = std::cos(held.heading) * (p[k].x - held.x) + std::sin(held.heading) * (p[k].y - held.y);
    if (along >= 0.0) {
      held = p[k];
    } else {
      p[k] = held;
    }
  }
}

int BestMode(std::span<const float> scores) {
  TARMAC_CHECK(!scores.empty());
  size_t best = 0;
  for (size_t i = 1; i < scores.size(); ++i) {
    if (scores[i] > scores[best]) best = i;
  }
  return static_cast<int>(best);
}

}  // namespace tarmac
