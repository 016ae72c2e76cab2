// The learned planners (docs/learned-planners.md): `transformer:CKPT`,
// `diffusion:CKPT` and `torchscript:PATH`. One call per tick for the whole
// lock-step batch:
//  1. every request's observation is built into one [B, kObservationFloats]
//     buffer (the batch split across the ThreadPool, one FeatureBuilder per
//     chunk; each row depends on its own request only);
//  2. on a GPU, one forward pass for the whole batch under
//     torch::InferenceMode; on the CPU, one forward pass per request on one
//     torch thread, the requests split across the ThreadPool, so that every
//     result is the same for any thread count, batch size or shard (CPU
//     kernels change their summation order with both; on the GPU a result
//     may move in the last bits with the batch);
//  3. each row's best mode (BestMode) is decoded into a Trajectory
//     (DecodeTrajectory) and its backing up removed (RemoveBackingUp: the
//     planners drive forward). A request whose features or output fail gets
//     an error; the others go on.
// The planners read the rollout's simulated history (wants_history).
#pragma once

#include <torch/script.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "policies/features/feature_builder.h"
#include "policies/learned/learned_planners.h"
#include "policies/learned/models.h"
#include "sim/planner.h"

namespace tarmac::learned {

// Sets torch's intra-op threads to `threads` and, on the first call in the
// process, its inter-op threads to 1 (torch allows that only once).
void SetTorchThreads(int threads);

// "cpu" or "cuda"; fails with the reason when CUDA is asked for and absent.
Result<torch::Device> ResolveDevice(const std::string& name);

// Planner outputs of one batch on the CPU: poses [B, N, H, 3], scores [B, N].
struct BatchOutput {
  torch::Tensor poses, scores;
};

class TorchPlanner : public Planner {
 public:
  TorchPlanner(std::string name, torch::Device device) : name_(std::move(name)), device_(device) {}
  std::string name() const override { return name_; }
  bool wants_history() const override { return true; }
  void Plan(std::span<const PlanRequest> requests, std::span<Trajectory> plans, std::span<std::string> errors,
            ThreadPool* pool) override;

  // Runs the network on obs [B, F] (on device()); returns CPU tensors.
  virtual Result<BatchOutput> Run(const torch::Tensor& obs, std::span<const PlanRequest> requests) = 0;
  torch::Device device() const { return device_; }
  // > 0: the planner drives the candidate (mode or sample) with the highest
  // log-softmax score - weight * PlanCost (plan_costs.h, m²); 0: the
  // highest score (the model's own choice).
  void SetCostWeight(double weight) { cost_weight_ = weight; }

 private:
  // Runs rows [first, first + count) of buffer_ (the observations of
  // `requests`) through Run() and decodes each row's best mode into plans.
  void Forward(std::span<const PlanRequest> requests, int first, int count, std::span<Trajectory> plans,
               std::span<std::string> errors);

  std::string name_;
  torch::Device device_;
  double cost_weight_ = 0.0;
  std::vector<float> buffer_;               // [B][kObservationFloats]
  std::vector<FeatureBuilder> builders_;    // one per chunk
};

class TransformerTorchPlanner final : public TorchPlanner {
 public:
  TransformerTorchPlanner(std::string name, TransformerPlanner model, torch::Device device);
  Result<BatchOutput> Run(const torch::Tensor& obs, std::span<const PlanRequest> requests) override;

 private:
  TransformerPlanner model_;
};

class DiffusionTorchPlanner final : public TorchPlanner {
 public:
  DiffusionTorchPlanner(std::string name, DiffusionPlanner model, torch::Device device, int64_t seed);
  Result<BatchOutput> Run(const torch::Tensor& obs, std::span<const PlanRequest> requests) override;
  // Guided sampling (off by default); see DiffusionPlannerImpl::Sample.
  // Candidate samples per request (1 .. model_io::kMaxModes), each from its
  // own noise; with one the planner drives it, with several the choice is
  // TorchPlanner's (the first, or by cost: SetCostWeight).
  void SetSamples(int samples) { samples_ = samples; }
  void SetGuidance(GuidanceCost cost, double scale) {
    guidance_ = std::move(cost);
    guidance_scale_ = scale;
  }
  // The seed of one request's noise: (run seed, scenario id, actor) — the same
  // noise at every step, so consecutive plans of a rollout are samples from
  // the same point of the noise space and stay consistent with each other
  // (fresh noise per step made the ego's plans, and so its path, jitter).
  static uint64_t NoiseSeed(int64_t run_seed, const PlanRequest& request);

 private:
  DiffusionPlanner model_;
  int64_t seed_;
  int samples_ = 1;
  GuidanceCost guidance_;
  double guidance_scale_ = 0.0;
};

// forward(obs: Tensor[B, F]) -> Tensor[B, H, 3] or (Tensor[B, N, H, 3], Tensor[B, N]).
class TorchScriptPlanner final : public TorchPlanner {
 public:
  TorchScriptPlanner(std::string name, torch::jit::script::Module module, torch::Device device, std::string path);
  Result<BatchOutput> Run(const torch::Tensor& obs, std::span<const PlanRequest> requests) override;

 private:
  torch::jit::script::Module module_;
  std::string path_;
};

// Loads and checks a planner (what MakeLearnedPlanner does), with a warm-up
// forward pass on an all-padding batch of one that also checks the output
// against the contract.
Result<std::unique_ptr<TorchPlanner>> LoadTorchPlanner(const std::string& kind, const std::string& path,
                                                       const LearnedRuntime& runtime);

}  // namespace tarmac::learned
