// policies/learned/plan_costs.h on observations of real scenarios (the
// embedded suite's NGSIM scenarios): the logged driver's own future costs
// (almost) nothing, a plan moved off the road or into the vehicle ahead costs
// more, the gradients point back, and only movers ahead count.
#include <catch2/catch.hpp>

#include <vector>

#include "policies/features/feature_builder.h"
#include "policies/features/model_io.h"
#include "policies/learned/plan_costs.h"
#include "scenarios/scenario_io.h"
#include "tests/support/test_data.h"

namespace tarmac::learned {
namespace {

namespace io = model_io;
constexpr int64_t kH = io::kFutureSteps;

struct Sample {
  torch::Tensor obs;     // [1, F]
  torch::Tensor future;  // [1, 1, H, 3] the log's poses (held at the last valid one)
};

// Track `index` of the first scenario in `file` at log step 30 (a full
// history); `index` past the last track gives an empty Sample.
Sample LogSample(const char* file, int index) {
  Result<std::vector<v1::Scenario>> s = ReadScenarios(testing::SourceDir() / file);
  REQUIRE(s.ok());
  Result<std::shared_ptr<const ScenarioModel>> m = ScenarioModel::Build(std::move(s->front()));
  REQUIRE(m.ok());
  std::vector<int> tracks;
  FeatureBuilder::TrainingTracks(**m, 30, &tracks);
  if (tracks.size() <= static_cast<size_t>(index)) return {};
  std::vector<float> obs(io::kObservationFloats), target(io::kTargetFloats);
  FeatureBuilder builder;
  REQUIRE(builder.BuildTrainingSample(**m, 30, tracks[static_cast<size_t>(index)], {obs}, {target}).ok());
  Sample out;
  out.obs = torch::from_blob(obs.data(), {1, static_cast<int64_t>(obs.size())}, torch::kFloat).clone();
  torch::Tensor poses = torch::from_blob(target.data(), {kH, io::kPoseDim}, torch::kFloat).clone();
  const torch::Tensor mask = torch::from_blob(target.data() + io::kTargetMask.offset, {kH}, torch::kFloat).clone();
  for (int64_t h = 1; h < kH; ++h) {
    if (mask[h].item<float>() < 0.5f) poses[h] = poses[h - 1];
  }
  out.future = poses.view({1, 1, kH, io::kPoseDim});
  return out;
}

// The nearest valid mover whose centre is ahead (x > 2 m) within 4 m of the
// actor's lane line (|y| < 1.5 m): its index, or -1.
int64_t LeadMover(const torch::Tensor& obs) {
  const torch::Tensor now = obs.narrow(1, io::kAgentHistory.offset, io::kAgentHistory.size)
                                .view({io::kMaxAgents, io::kHistorySteps, io::kStateDim})
                                .select(1, io::kHistorySteps - 1);
  const torch::Tensor valid = obs.narrow(1, io::kAgentValid.offset, io::kAgentValid.size).view({io::kMaxAgents});
  int64_t best = -1;
  double best_x = 1e9;
  for (int64_t k = 0; k < io::kMaxAgents; ++k) {
    const double x = now[k][0].item<double>() * io::kPositionScale, y = now[k][1].item<double>() * io::kPositionScale;
    if (valid[k].item<float>() > 0.5f && x > 2.0 && std::abs(y) < 1.5 && x < best_x) {
      best = k;
      best_x = x;
    }
  }
  return best;
}

TEST_CASE("plan costs: the logged future stays on the lanes, a plan moved off them costs more", "[learned][costs]") {
  for (const char* file : {"suites/default/commonroad/USA_US101-3_1_T-1.xml", "suites/default/commonroad/USA_Lanker-1_1_T-1.xml"}) {
    INFO(file);
    const Sample s = LogSample(file, 0);
    REQUIRE(s.obs.defined());
    const double logged = OffLaneCost(s.future, s.obs).item<double>();
    CHECK(logged < 1.0);
    torch::Tensor moved = s.future.clone();
    // 100 m to the left of the logged path: beyond every lane the
    // observation holds (lanes within 50 m of the actor).
    moved.select(-1, 1).add_(100.0);
    const torch::Tensor leaf = moved.requires_grad_(true);
    const torch::Tensor cost = OffLaneCost(leaf, s.obs);
    CHECK(cost.item<double>() > logged + 10.0);
    // Descending the cost moves the poses back towards the lanes (right: -y).
    const torch::Tensor g = torch::autograd::grad({cost.sum()}, {leaf})[0];
    CHECK(g.select(-1, 1).sum().item<double>() > 0.0);
  }
}

TEST_CASE("plan costs: driving into the mover ahead costs, a mover behind does not", "[learned][costs]") {
  // The first vehicle of the log with a mover ahead in its lane.
  Sample s;
  int64_t lead = -1;
  for (int i = 0; lead < 0; ++i) {
    s = LogSample("suites/default/commonroad/USA_US101-3_1_T-1.xml", i);
    REQUIRE(s.obs.defined());
    lead = LeadMover(s.obs);
  }
  const torch::Tensor now = s.obs.narrow(1, io::kAgentHistory.offset, io::kAgentHistory.size)
                                .view({io::kMaxAgents, io::kHistorySteps, io::kStateDim})
                                .select(1, io::kHistorySteps - 1)[lead];
  const double x = now[0].item<double>() * io::kPositionScale, y = now[1].item<double>() * io::kPositionScale;
  const double vx = now[4].item<double>() * io::kVelocityScale, vy = now[5].item<double>() * io::kVelocityScale;
  // Plans that keep the mover 1 m ahead of (behind) every pose, at its
  // constant-velocity positions; heading along the actor's x axis.
  auto plan = [&](double offset) {
    torch::Tensor p = torch::zeros({1, 1, kH, io::kPoseDim});
    for (int64_t h = 0; h < kH; ++h) {
      const double t = 0.1 * static_cast<double>(h + 1);
      p[0][0][h][0] = x + vx * t + offset;
      p[0][0][h][1] = y + vy * t;
    }
    return p;
  };
  const double logged = CollisionCost(s.future, s.obs).item<double>();
  const double into = CollisionCost(plan(-1.0), s.obs).item<double>();
  const double past = CollisionCost(plan(+1.0), s.obs).item<double>();
  CHECK(logged < 1.0);
  CHECK(into > 10.0);
  CHECK(past < into / 10.0);  // the lead is now behind every pose (other movers may still be near)
  // The gradient of the plan that runs into the lead pulls it back (-x).
  const torch::Tensor leaf = plan(-1.0).requires_grad_(true);
  const torch::Tensor g = torch::autograd::grad({CollisionCost(leaf, s.obs).sum()}, {leaf})[0];
  CHECK(g.select(-1, 0).sum().item<double>() > 0.0);
  // PlanCost weighs the two; candidates are costed one by one.
  const torch::Tensor both = torch::cat({s.future, plan(-1.0)}, 1);  // [1, 2, H, 3]
  const torch::Tensor c = PlanCost(both, s.obs);
  REQUIRE(c.sizes() == torch::IntArrayRef({1, 2}));
  CHECK(c[0][0].item<double>() < c[0][1].item<double>());
}

// An observation with one straight lane along the x axis: `points` points
// 3 m apart from x = 0 (lane 0), nothing else.
torch::Tensor StraightLane(int points) {
  torch::Tensor obs = torch::zeros({1, static_cast<int64_t>(io::kObservationFloats)});
  float* o = obs.data_ptr<float>();
  for (int p = 0; p < points; ++p) {
    float* point = o + io::kLanePointsBlock.offset + static_cast<size_t>(p) * io::kLanePointDim;
    point[0] = static_cast<float>(3.0 * p / io::kPositionScale);
    point[2] = 1.0f;  // cos of the lane's direction
    o[io::kLanePointMask.offset + static_cast<size_t>(p)] = 1.0f;
  }
  return obs;
}

// Poses at (x, y) for x = x0, x0 + 3, ... (heading 0), [1, 1, H, 3].
torch::Tensor Line(double x0, double y) {
  torch::Tensor poses = torch::zeros({1, 1, kH, io::kPoseDim});
  for (int64_t h = 0; h < kH; ++h) {
    poses[0][0][h][0] = x0 + 3.0 * static_cast<double>(h % 19);
    poses[0][0][h][1] = y;
  }
  return poses;
}

TEST_CASE("plan costs: the off-lane distance is to the centre line, not to its resampled points", "[learned][costs]") {
  PlanCostParams p;
  p.lane_half_width_m = 0.5;
  const torch::Tensor obs = StraightLane(io::kLanePoints);
  // Half-way between two points (1.5 m from both) but on the line.
  CHECK(OffLaneCost(Line(1.5, 0.0), obs, p).item<double>() == Approx(0.0).margin(1e-9));
  // 1 m to the side: 0.5 m beyond the half-width at each of the H poses.
  CHECK(OffLaneCost(Line(1.5, 1.0), obs, p).item<double>() == Approx(0.25 * kH).epsilon(1e-4));
  // The batched path (B > 1) gives the same numbers.
  const torch::Tensor two = OffLaneCost(torch::cat({Line(1.5, 0.0), Line(1.5, 1.0)}, 0), torch::cat({obs, obs}, 0), p);
  CHECK(two[0][0].item<double>() == Approx(0.0).margin(1e-9));
  CHECK(two[1][0].item<double>() == Approx(0.25 * kH).epsilon(1e-4));
  // A lane of one point is that point: 1.5 m away along x, 1 m beyond.
  torch::Tensor at = torch::zeros({1, 1, kH, io::kPoseDim});
  at.select(-1, 0).fill_(1.5);
  CHECK(OffLaneCost(at, StraightLane(1), p).item<double>() == Approx(1.0 * kH).epsilon(1e-4));
}

TEST_CASE("plan costs: an observation with no lanes and no movers costs nothing", "[learned][costs]") {
  const torch::Tensor obs = torch::zeros({1, static_cast<int64_t>(io::kObservationFloats)});
  const torch::Tensor poses = torch::randn({1, 3, kH, io::kPoseDim}) * 20.0;
  CHECK(PlanCost(poses, obs).abs().max().item<double>() == 0.0);
}

}  // namespace
}  // namespace tarmac::learned
