#include "policies/learned/augment.h"

#include <cmath>
#include <numbers>

#include "policies/features/model_io.h"
#include "scenarios/splitmix.h"

namespace tarmac {
namespace {

namespace io = model_io;

// The old actor frame's values in the new one. Positions and vectors in the
// buffers are normalised (value / scale); the shift is applied in metres.
struct Reframe {
  double c, s;   // cos / sin of -dpsi
  double dy_n;   // the shift in normalised position units

  void Point(float* xy) const {
    const double x = xy[0], y = static_cast<double>(xy[1]) - dy_n;
    xy[0] = static_cast<float>(c * x - s * y);
    xy[1] = static_cast<float>(s * x + c * y);
  }
  void Vector(float* v) const {
    const double x = v[0], y = v[1];
    v[0] = static_cast<float>(c * x - s * y);
    v[1] = static_cast<float>(s * x + c * y);
  }
};

double Wrap(double a) {
  constexpr double kPi = std::numbers::pi;
  a = std::fmod(a + kPi, 2.0 * kPi);
  if (a <= 0.0) a += 2.0 * kPi;
  return a - kPi;
}

}  // namespace

Perturbation DrawPerturbation(const AugmentParams& p, uint64_t seed, uint64_t epoch, uint64_t sample) {
  // One generator per sample; its seed mixes the three numbers.
  SplitMix64 mix(seed ^ 0xA5A5A5A5DEADBEEFULL);
  uint64_t s = mix.Next() ^ (epoch * 0x9E3779B97F4A7C15ULL);
  s = SplitMix64(s).Next() ^ (sample * 0xC2B2AE3D27D4EB4FULL);
  SplitMix64 g(s);
  Perturbation out;
  if (g.Unit() >= p.probability) return out;
  out.dy = g.Uniform(-p.lateral_m, p.lateral_m);
  out.dpsi = g.Uniform(-p.heading_rad, p.heading_rad);
  out.speed = 1.0 + g.Uniform(-p.speed_frac, p.speed_frac);
  return out;
}

void ApplyPerturbation(const Perturbation& p, std::span<float> obs, std::span<float> target) {
  if (!p.any()) return;
  const Reframe r{std::cos(-p.dpsi), std::sin(-p.dpsi), p.dy / io::kPositionScale};
  float* o = obs.data();
  constexpr int kT = io::kHistorySteps;
  constexpr int kNow = kT - 1;
  // The actor: past states re-expressed, "now" is the new origin with its
  // velocity (in its own frame) scaled.
  for (int t = 0; t < kT; ++t) {
    if (o[io::kEgoMask.offset + static_cast<size_t>(t)] == 0.0f) continue;
    float* row = o + io::kEgoHistory.offset + static_cast<size_t>(t) * io::kStateDim;
    if (t == kNow) {
      row[0] = 0.0f;
      row[1] = 0.0f;
      row[2] = 1.0f;
      row[3] = 0.0f;
      row[4] = static_cast<float>(static_cast<double>(row[4]) * p.speed);
      row[5] = static_cast<float>(static_cast<double>(row[5]) * p.speed);
      continue;
    }
    r.Point(row);
    r.Vector(row + 2);
    r.Vector(row + 4);
  }
  for (size_t k = 0; k < io::kK; ++k) {
    for (int t = 0; t < kT; ++t) {
      const size_t kt = k * io::kT + static_cast<size_t>(t);
      if (o[io::kAgentMask.offset + kt] == 0.0f) continue;
      float* row = o + io::kAgentHistory.offset + kt * io::kStateDim;
      r.Point(row);
      r.Vector(row + 2);
      r.Vector(row + 4);
    }
  }
  for (size_t m = 0; m < io::kM; ++m) {
    for (size_t q = 0; q < io::kP; ++q) {
      const size_t mp = m * io::kP + q;
      if (o[io::kLanePointMask.offset + mp] == 0.0f) continue;
      float* pt = o + io::kLanePointsBlock.offset + mp * io::kLanePointDim;
      r.Point(pt);
      r.Vector(pt + 2);
    }
  }
  for (size_t s = 0; s < io::kS; ++s) {
    if (o[io::kStaticValid.offset + s] == 0.0f) continue;
    float* row = o + io::kStatic.offset + s * io::kStaticDim;
    r.Point(row);
    r.Vector(row + 2);
  }
  // The target in metres (not normalised).
  const Reframe rm{r.c, r.s, p.dy};
  for (int h = 0; h < io::kFutureSteps; ++h) {
    if (target[io::kTargetMask.offset + static_cast<size_t>(h)] == 0.0f) continue;
    float* pose = target.data() + io::kTargetPoses.offset + static_cast<size_t>(h) * io::kPoseDim;
    rm.Point(pose);
    pose[2] = static_cast<float>(Wrap(static_cast<double>(pose[2]) - p.dpsi));
  }
}

}  // namespace tarmac
