// The learned planners' networks (torch::nn), docs/learned-planners.md:
//  - SceneEncoder: one token per entity of an observation (model contract,
//    policies/features/model_io.h) — the actor (history + size), agents
//    (masked, flattened history + attributes), lanes (PointNet: a per-point
//    MLP, masked max-pool, + lane attributes), static objects — plus a learned
//    type embedding, then transformer encoder layers with key-padding masks
//    from the contract's valid flags. The actor's token is always valid, so no
//    attention row is fully masked (no NaN).
//  - TransformerPlanner (PlanTF-style): N mode queries cross-attend to the
//    tokens; each gives H poses and a score.
//  - DiffusionPlanner: a denoiser over the future trajectory (x-start
//    prediction) conditioned on the same tokens; DDPM training, deterministic
//    DDIM sampling.
// Inputs: obs [B, kObservationFloats] float32 (normalised by the builder).
// Outputs: poses in the actor frame, x, y [m], heading [rad] — not
// normalised. Internally both models predict per-step increments (x, y in
// units of 2 m, heading of 0.05 rad) whose running sums are the poses.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scenarios/result.h"

namespace tarmac::learned {

// Hyper-parameters. The JSON forms (ToJson / FromJson) are what checkpoints
// record; FromJson checks every field and its range.
struct ModelConfig {
  std::string kind = "transformer";  // "transformer" or "diffusion"
  int64_t dim = 128;                 // token width
  int64_t heads = 4;                 // attention heads (divides dim)
  int64_t encoder_layers = 3;
  int64_t decoder_layers = 2;
  int64_t feedforward = 256;         // transformer layers' hidden width
  int64_t modes = 6;                 // transformer: N modes (<= model_io::kMaxModes); diffusion: 1
  int64_t diffusion_steps = 100;     // diffusion: DDPM steps in training
  int64_t sample_steps = 10;         // diffusion: DDIM steps when planning
  // Steps of the actor's own history the network sees, counting "now"
  // (1 .. model_io::kHistorySteps). 1: only the current state — the default,
  // because a planner that sees its past motion learns to extrapolate it
  // (imitation's "copycat" shortcut) and then drifts in closed loop.
  // Checkpoints written before this field saw the whole history (21).
  int64_t ego_history = 1;

  nlohmann::json ToJson() const;
  static Result<ModelConfig> FromJson(const nlohmann::json& j);
};

struct SceneTokens {
  torch::Tensor tokens;   // [S, B, D], sequence first (torch::nn's transformer layout)
  torch::Tensor padding;  // [B, S] bool, true: not an entity (ignored by attention)
  torch::Tensor actor;    // [B, D] the actor's encoded token
};

class SceneEncoderImpl : public torch::nn::Module {
 public:
  explicit SceneEncoderImpl(const ModelConfig& c);
  SceneTokens forward(const torch::Tensor& obs);

 private:
  torch::nn::Sequential ego_mlp_{nullptr}, agent_mlp_{nullptr}, point_mlp_{nullptr}, static_mlp_{nullptr};
  torch::nn::Linear lane_attr_{nullptr};
  torch::nn::Embedding type_embedding_{nullptr};
  torch::nn::TransformerEncoder encoder_{nullptr};
  int64_t ego_history_;
};
TORCH_MODULE(SceneEncoder);

struct PlannerOutput {
  torch::Tensor poses;   // [B, N, H, 3]: x, y [m], heading [rad], actor frame
  torch::Tensor scores;  // [B, N] logits; the planner drives the highest
};

class TransformerPlannerImpl : public torch::nn::Module {
 public:
  explicit TransformerPlannerImpl(const ModelConfig& c);
  PlannerOutput forward(const torch::Tensor& obs);

 private:
  ModelConfig config_;
  SceneEncoder encoder_{nullptr};
  torch::Tensor mode_queries_;  // [N, D]
  torch::nn::TransformerDecoder decoder_{nullptr};
  torch::nn::Sequential trajectory_head_{nullptr};
  torch::nn::Linear score_head_{nullptr};
};
TORCH_MODULE(TransformerPlanner);

// A differentiable cost of candidate plans for guided sampling: poses
// [B, H, 3] in metres / radians (actor frame) and the observations [B, F] in,
// one cost per sample [B] out. Its gradient nudges the sample at every step.
using GuidanceCost = std::function<torch::Tensor(const torch::Tensor& poses, const torch::Tensor& obs)>;

class DiffusionPlannerImpl : public torch::nn::Module {
 public:
  explicit DiffusionPlannerImpl(const ModelConfig& c);
  // The x-start prediction for noisy futures x_t [B, H, 3] at diffusion steps
  // t [B] (int64, 0 .. diffusion_steps-1). The future is denoised as its
  // per-step increments (dx, dy [2 m], dheading [0.05 rad]); the poses are
  // their running sums, so a sample is a connected path.
  torch::Tensor Denoise(const SceneTokens& scene, const torch::Tensor& x_t, const torch::Tensor& t);
  // DDPM training loss: masked mean squared error of the x-start prediction
  // (normalised units). `target` [B, H, 3] metres / radians with `mask` [B, H];
  // steps past the log's end are filled with the last valid pose. `t` [B]
  // and `noise` [B, H, 3] are drawn by the caller (seeded). With
  // `pose_weight` > 0 the error of the poses the increments sum to is added,
  // that many times, in units of kPoseLossScale (5 m, 5 m, 0.5 rad): the same
  // optimum (the conditional mean), but a drift that builds up over the
  // horizon is no longer nearly free.
  torch::Tensor Loss(const torch::Tensor& obs, const torch::Tensor& target, const torch::Tensor& mask,
                     const torch::Tensor& t, const torch::Tensor& noise, double pose_weight = 0.0);
  // Deterministic DDIM (eta = 0) over sample_steps steps from `noise`
  // [B, H, 3] (drawn by the caller, one seed per request). Poses [B, H, 3] in
  // metres / radians. With `guidance`, every x-start estimate takes one
  // gradient step of size `guidance_scale` against the cost (needs autograd:
  // do not call under InferenceMode then).
  torch::Tensor Sample(const torch::Tensor& obs, const torch::Tensor& noise, const GuidanceCost& guidance = {},
                       double guidance_scale = 0.0);

  const ModelConfig& config() const { return config_; }

 private:
  torch::Tensor TimeEmbedding(const torch::Tensor& t) const;  // [B] -> [B, D]
  ModelConfig config_;
  SceneEncoder encoder_{nullptr};
  torch::nn::Linear chunk_in_{nullptr}, chunk_out_{nullptr};
  torch::nn::Sequential time_mlp_{nullptr};
  torch::Tensor chunk_position_;  // [C, D]
  torch::nn::TransformerDecoder decoder_{nullptr};
  std::vector<double> alphas_cumprod_;  // [diffusion_steps], cosine schedule (derived, not saved)
};
TORCH_MODULE(DiffusionPlanner);

// Either network, by kind, behind one handle for checkpoints and training.
struct AnyModel {
  ModelConfig config;
  TransformerPlanner transformer{nullptr};
  DiffusionPlanner diffusion{nullptr};
  std::shared_ptr<torch::nn::Module> module() const;
};
// Builds a freshly initialised network (torch's default initialisation from
// its global generator: seed it first with torch::manual_seed).
AnyModel MakeModel(const ModelConfig& config);

// Wrapped differences of headings, elementwise [rad].
torch::Tensor WrapAngle(const torch::Tensor& a);

}  // namespace tarmac::learned
