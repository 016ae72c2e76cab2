// policies/learned/augment.h: the training augmentation re-expresses a sample
// in the perturbed frame exactly (every past position, lane point and target
// pose keeps its place in the world), leaves padding at zero, and draws the
// same perturbation for the same (seed, epoch, sample). No LibTorch needed.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "policies/features/feature_builder.h"
#include "policies/features/model_io.h"
#include "policies/learned/augment.h"
#include "scenarios/scenario_io.h"
#include "tests/support/test_data.h"

namespace tarmac {
namespace {

namespace io = model_io;

struct Sample {
  std::vector<float> obs = std::vector<float>(io::kObservationFloats);
  std::vector<float> target = std::vector<float>(io::kTargetFloats);
};

Sample RealSample() {
  Result<std::vector<v1::Scenario>> s =
      ReadScenarios(testing::SourceDir() / "suites/default/commonroad/USA_US101-3_1_T-1.xml");
  REQUIRE(s.ok());
  Result<std::shared_ptr<const ScenarioModel>> m = ScenarioModel::Build(std::move(s->front()));
  REQUIRE(m.ok());
  std::vector<int> tracks;
  FeatureBuilder::TrainingTracks(**m, 25, &tracks);
  REQUIRE(!tracks.empty());
  Sample out;
  FeatureBuilder b;
  REQUIRE(b.BuildTrainingSample(**m, 25, tracks[0], {out.obs}, {out.target}).ok());
  return out;
}

// A point of the perturbed frame (p: normalised by `scale`) back in the old frame [m].
std::pair<double, double> Back(const Perturbation& p, double x, double y, double scale) {
  const double c = std::cos(p.dpsi), s = std::sin(p.dpsi);
  return {(c * x - s * y) * scale, (s * x + c * y) * scale + p.dy};
}

TEST_CASE("a perturbation re-expresses the sample in the moved frame, keeping the world fixed", "[learned][augment]") {
  const Sample before = RealSample();
  Sample after = before;
  const Perturbation p{0.8, 0.1, 1.05};
  ApplyPerturbation(p, after.obs, after.target);
  const float* o0 = before.obs.data();
  const float* o1 = after.obs.data();
  // The actor now: the origin, velocity (in its frame) scaled.
  const size_t now = io::kEgoHistory.offset + (io::kHistorySteps - 1) * io::kStateDim;
  CHECK(o1[now + 0] == 0.0f);
  CHECK(o1[now + 1] == 0.0f);
  CHECK(o1[now + 2] == 1.0f);
  CHECK(o1[now + 3] == 0.0f);
  CHECK(o1[now + 4] == Approx(o0[now + 4] * 1.05f));
  // Lane points keep their place in the world.
  int checked = 0;
  for (size_t i = 0; i < io::kM * io::kP; ++i) {
    const size_t at = io::kLanePointsBlock.offset + i * io::kLanePointDim;
    if (o0[io::kLanePointMask.offset + i] == 0.0f) {
      CHECK(o1[at] == 0.0f);
      CHECK(o1[at + 1] == 0.0f);
      continue;
    }
    const auto [x, y] = Back(p, o1[at], o1[at + 1], io::kPositionScale);
    CHECK(x == Approx(static_cast<double>(o0[at]) * io::kPositionScale).margin(1e-4));
    CHECK(y == Approx(static_cast<double>(o0[at + 1]) * io::kPositionScale).margin(1e-4));
    // Directions turn by -dpsi.
    CHECK(std::atan2(o1[at + 3], o1[at + 2]) ==
          Approx(std::remainder(static_cast<double>(std::atan2(o0[at + 3], o0[at + 2])) - p.dpsi, 2 * M_PI)).margin(1e-5));
    ++checked;
  }
  CHECK(checked > 0);
  // The target (metres, not normalised) too.
  for (int h = 0; h < io::kFutureSteps; ++h) {
    if (before.target[io::kTargetMask.offset + static_cast<size_t>(h)] == 0.0f) continue;
    const float* t0 = before.target.data() + h * 3;
    const float* t1 = after.target.data() + h * 3;
    const auto [x, y] = Back(p, t1[0], t1[1], 1.0);
    CHECK(x == Approx(t0[0]).margin(1e-4));
    CHECK(y == Approx(t0[1]).margin(1e-4));
    CHECK(t1[2] == Approx(std::remainder(static_cast<double>(t0[2]) - p.dpsi, 2 * M_PI)).margin(1e-5));
  }
}

TEST_CASE("no perturbation leaves the sample untouched", "[learned][augment]") {
  const Sample before = RealSample();
  Sample after = before;
  ApplyPerturbation(Perturbation{}, after.obs, after.target);
  CHECK(after.obs == before.obs);
  CHECK(after.target == before.target);
}

TEST_CASE("perturbations come from (seed, epoch, sample) and stay in their bounds", "[learned][augment]") {
  AugmentParams p;
  int perturbed = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    const Perturbation a = DrawPerturbation(p, 7, 3, i);
    const Perturbation b = DrawPerturbation(p, 7, 3, i);
    CHECK(a.dy == b.dy);
    CHECK(a.dpsi == b.dpsi);
    CHECK(a.speed == b.speed);
    CHECK(std::abs(a.dy) <= p.lateral_m);
    CHECK(std::abs(a.dpsi) <= p.heading_rad);
    CHECK(std::abs(a.speed - 1.0) <= p.speed_frac);
    perturbed += a.any() ? 1 : 0;
  }
  CHECK(perturbed > 400);
  CHECK(perturbed < 600);
  int differ = 0;  // another epoch draws other perturbations
  for (uint64_t i = 0; i < 20; ++i) differ += DrawPerturbation(p, 7, 4, i).dy != DrawPerturbation(p, 7, 3, i).dy ? 1 : 0;
  CHECK(differ > 5);
  p.probability = 0.0;
  CHECK_FALSE(DrawPerturbation(p, 7, 3, 0).any());
}

}  // namespace
}  // namespace tarmac
