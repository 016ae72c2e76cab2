// The learned planners' torch-free entry point (docs/learned-planners.md):
// policies/registry.cc and tools/ call this header only, so nothing outside
// policies/learned/ includes LibTorch. Built without LibTorch, every function
// here reports that instead of failing to link.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "scenarios/result.h"
#include "sim/planner.h"

namespace tarmac {

// How a learned planner runs: set once at load, recorded nowhere else.
struct LearnedRuntime {
  int threads = 1;             // >= 1; torch intra-op threads on a GPU run (on the CPU each
                               // forward pass runs on one thread: torch_planner.h)
  std::string device = "cpu";  // "cpu" or "cuda" (a CUDA LibTorch and a visible GPU)
  int64_t seed = 0;            // run seed: the diffusion planner's noise derives from it
  // Weight of the built-in plan costs (off-lane and collision with the
  // movers' constant-velocity extrapolations, policies/learned/plan_costs.h)
  // in choosing among a planner's candidates: the transformer's modes, or
  // kCostSamples diffusion samples per request instead of one. 0: off, the
  // model's own choice.
  double plan_cost_weight = 0.0;
};
inline constexpr int kCostSamples = 6;

// True when this build has LibTorch (TARMAC_WITH_TORCH found it).
bool HaveTorch();
// "LibTorch 1.13.0 (CPU)", "LibTorch 2.3.0 (CUDA)" or "built without LibTorch".
std::string TorchDescription();

// kind: "transformer" or "diffusion" (path: a tarmac checkpoint) or
// "torchscript" (path: a TorchScript module following the contract in
// docs/model-io.md). Loads, checks and warms the model up once; fails with a
// message naming the file and what is wrong (never throws).
Result<std::unique_ptr<Planner>> MakeLearnedPlanner(const std::string& kind, const std::string& path,
                                                    const LearnedRuntime& runtime);

}  // namespace tarmac
