#include "policies/learned/models.h"

#include <fmt/format.h>

#include <cmath>
#include <numbers>
#include <set>

#include "policies/features/model_io.h"

namespace tarmac::learned {
namespace {

namespace io = model_io;
namespace nn = torch::nn;

constexpr int64_t kT = io::kHistorySteps, kK = io::kMaxAgents, kM = io::kMaxLanes, kP = io::kLanePoints,
                  kS = io::kMaxStatic, kH = io::kFutureSteps;
// Token types of the learned type embedding.
enum TokenType : int64_t { kActorToken, kVehicleToken, kPedestrianToken, kCyclistToken, kOtherMoverToken,
                           kLaneToken, kStaticToken, kNumTokenTypes };
// Diffusion: the future is denoised as kChunks tokens of kH / kChunks poses.
constexpr int64_t kChunks = 8;
constexpr int64_t kChunkFloats = kH / kChunks * io::kPoseDim;
static_assert(kH % kChunks == 0);

// One block of the observation, reshaped to [B, shape...].
torch::Tensor Slice(const torch::Tensor& obs, const io::Block& b, std::vector<int64_t> shape) {
  shape.insert(shape.begin(), obs.size(0));
  return obs.narrow(1, static_cast<int64_t>(b.offset), static_cast<int64_t>(b.size)).reshape(shape);
}

nn::Sequential Mlp(int64_t in, int64_t hidden, int64_t out) {
  return nn::Sequential(nn::Linear(in, hidden), nn::GELU(), nn::Linear(hidden, out));
}

nn::TransformerDecoder Decoder(const ModelConfig& c) {
  nn::TransformerDecoderLayerOptions layer(c.dim, c.heads);
  layer.dim_feedforward(c.feedforward).dropout(0.0).activation(torch::kGELU);
  return nn::TransformerDecoder(nn::TransformerDecoderOptions(nn::TransformerDecoderLayer(layer), c.decoder_layers));
}

// The transformer head's per-step increment scale: x, y [m], heading [rad].
torch::Tensor StepScale(const torch::Tensor& like) { return torch::tensor({2.0f, 2.0f, 0.05f}, like.options()); }

// The units of the diffusion loss's pose term: x, y [m], heading [rad].
constexpr float kPoseLossScale[3] = {5.0f, 5.0f, 0.5f};

// Poses [B, H, 3] from normalised per-step increments [B, H, 3]: the running
// sums of the increments times StepScale (the actor frame's origin is pose 0).
torch::Tensor PosesFromSteps(const torch::Tensor& steps) { return (steps * StepScale(steps)).cumsum(1); }

// Normalised per-step increments [B, H, 3] of poses [B, H, 3] (metres /
// radians, actor frame): the inverse of PosesFromSteps, headings wrapped.
torch::Tensor StepsFromPoses(const torch::Tensor& poses) {
  const torch::Tensor previous = torch::cat({torch::zeros_like(poses.narrow(1, 0, 1)), poses.narrow(1, 0, poses.size(1) - 1)}, 1);
  torch::Tensor d = poses - previous;
  d = torch::cat({d.narrow(-1, 0, 2), WrapAngle(d.narrow(-1, 2, 1))}, -1);
  return d / StepScale(poses);
}

}  // namespace

// ---- configuration -----------------------------------------------------------

// The network layout of each kind, recorded in every checkpoint: a
// checkpoint of another layout (same tensor shapes, other meaning) is refused.
// transformer 2: the trajectory head gives per-step increments (poses are
// their running sums); 1 regressed the poses directly. diffusion 2: the
// denoised variable is the per-step increments (normalised by StepScale);
// 1 denoised the poses (normalised by kPositionScale).
int64_t ArchitectureVersion(const std::string& /*kind*/) { return 2; }

nlohmann::json ModelConfig::ToJson() const {
  return {{"kind", kind},
          {"architecture", ArchitectureVersion(kind)},
          {"dim", dim},
          {"heads", heads},
          {"encoder_layers", encoder_layers},
          {"decoder_layers", decoder_layers},
          {"feedforward", feedforward},
          {"modes", modes},
          {"diffusion_steps", diffusion_steps},
          {"sample_steps", sample_steps},
          {"ego_history", ego_history}};
}

Result<ModelConfig> ModelConfig::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Error{"hyper-parameters: not a JSON object"};
  ModelConfig c;
  static const std::set<std::string> kKeys = {"kind",        "architecture", "dim",
                                              "heads",       "encoder_layers", "decoder_layers",
                                              "feedforward", "modes",        "diffusion_steps",
                                              "sample_steps", "ego_history"};
  for (const auto& [key, value] : j.items()) {
    if (kKeys.count(key) == 0) return Error{fmt::format("hyper-parameters: unknown field '{}'", key)};
  }
  for (const std::string& key : kKeys) {
    // A checkpoint written before layouts were recorded is of layout 1.
    if (key != "architecture" && key != "ego_history" && !j.contains(key)) {
      return Error{fmt::format("hyper-parameters: missing field '{}'", key)};
    }
  }
  if (!j["kind"].is_string()) return Error{"hyper-parameters: 'kind' is not a string"};
  c.kind = j["kind"].get<std::string>();
  if (c.kind != "transformer" && c.kind != "diffusion") {
    return Error{fmt::format("hyper-parameters: kind '{}' is not transformer or diffusion", c.kind)};
  }
  const nlohmann::json architecture = j.contains("architecture") ? j["architecture"] : nlohmann::json(1);
  if (!architecture.is_number_integer() || architecture.get<int64_t>() != ArchitectureVersion(c.kind)) {
    return Error{fmt::format("hyper-parameters: {} architecture {}; this tarmac builds architecture {} (retrain, or use "
                             "the tarmac revision that wrote the checkpoint)",
                             c.kind, architecture.dump(), ArchitectureVersion(c.kind))};
  }
  auto get = [&](const char* key, int64_t lo, int64_t hi, int64_t* out) -> Result<void> {
    const nlohmann::json& v = j[key];
    if (!v.is_number_integer()) return Error{fmt::format("hyper-parameters: '{}' is {}, not an integer", key, v.dump())};
    const int64_t x = v.get<int64_t>();
    if (x < lo || x > hi) return Error{fmt::format("hyper-parameters: '{}' is {}, not in [{}, {}]", key, x, lo, hi)};
    *out = x;
    return {};
  };
  for (Result<void> r : {get("dim", 8, 1024, &c.dim), get("heads", 1, 64, &c.heads),
                         get("encoder_layers", 1, 16, &c.encoder_layers), get("decoder_layers", 1, 16, &c.decoder_layers),
                         get("feedforward", 8, 8192, &c.feedforward), get("modes", 1, io::kMaxModes, &c.modes),
                         get("diffusion_steps", 2, 1000, &c.diffusion_steps), get("sample_steps", 1, 1000, &c.sample_steps)}) {
    if (!r.ok()) return r.error();
  }
  c.ego_history = kT;  // what checkpoints without the field saw
  if (j.contains("ego_history")) {
    if (Result<void> r = get("ego_history", 1, kT, &c.ego_history); !r.ok()) return r.error();
  }
  if (c.dim % c.heads != 0) return Error{fmt::format("hyper-parameters: heads {} does not divide dim {}", c.heads, c.dim)};
  if (c.kind == "diffusion" && c.modes != 1) return Error{fmt::format("hyper-parameters: a diffusion model has modes 1, not {}", c.modes)};
  if (c.sample_steps > c.diffusion_steps) {
    return Error{fmt::format("hyper-parameters: sample_steps {} exceeds diffusion_steps {}", c.sample_steps, c.diffusion_steps)};
  }
  return c;
}

// ---- scene encoder ------------------------------------------------------------

SceneEncoderImpl::SceneEncoderImpl(const ModelConfig& c) : ego_history_(c.ego_history) {
  const int64_t d = c.dim;
  ego_mlp_ = register_module("ego", Mlp(kT * io::kStateDim + kT + io::kEgoAttrDim, d, d));
  agent_mlp_ = register_module("agent", Mlp(kT * io::kStateDim + kT + io::kAgentAttrDim, d, d));
  point_mlp_ = register_module("lane_point", Mlp(io::kLanePointDim + 1, d, d));
  lane_attr_ = register_module("lane_attr", nn::Linear(io::kLaneAttrDim, d));
  static_mlp_ = register_module("static", Mlp(io::kStaticDim, d, d));
  type_embedding_ = register_module("type", nn::Embedding(kNumTokenTypes, d));
  nn::TransformerEncoderLayerOptions layer(d, c.heads);
  layer.dim_feedforward(c.feedforward).dropout(0.0).activation(torch::kGELU);
  encoder_ = register_module(
      "encoder", nn::TransformerEncoder(nn::TransformerEncoderOptions(nn::TransformerEncoderLayer(layer), c.encoder_layers)));
}

SceneTokens SceneEncoderImpl::forward(const torch::Tensor& obs) {
  const int64_t b = obs.size(0);
  const auto opts = obs.options();
  // The actor: masked history, mask, size.
  // Steps older than ego_history are hidden (as if not logged).
  torch::Tensor ego_mask = Slice(obs, io::kEgoMask, {kT});
  if (ego_history_ < kT) {
    ego_mask = ego_mask * (torch::arange(kT, opts) >= static_cast<double>(kT - ego_history_)).to(torch::kFloat);
  }
  const torch::Tensor ego_hist = Slice(obs, io::kEgoHistory, {kT, io::kStateDim}) * ego_mask.unsqueeze(-1);
  torch::Tensor ego = ego_mlp_->forward(torch::cat({ego_hist.flatten(1), ego_mask, Slice(obs, io::kEgoAttr, {io::kEgoAttrDim})}, 1));
  ego = ego + type_embedding_->forward(torch::full({b}, kActorToken, opts.dtype(torch::kLong)));
  // Agents: the same per agent, with type one-hots and a type embedding.
  const torch::Tensor agent_mask = Slice(obs, io::kAgentMask, {kK, kT});
  const torch::Tensor agent_attr = Slice(obs, io::kAgentAttr, {kK, io::kAgentAttrDim});
  const torch::Tensor agent_hist = Slice(obs, io::kAgentHistory, {kK, kT, io::kStateDim}) * agent_mask.unsqueeze(-1);
  torch::Tensor agents = agent_mlp_->forward(torch::cat({agent_hist.flatten(2), agent_mask, agent_attr}, -1));
  torch::Tensor type = (agent_attr.narrow(-1, 2, 3) * torch::tensor({1.0f, 2.0f, 3.0f}, opts)).sum(-1).round().to(torch::kLong);
  type = torch::where(type == 0, torch::full_like(type, kOtherMoverToken), type);
  agents = agents + type_embedding_->forward(type);
  // Lanes: per-point MLP (points with their index along the lane), masked max-pool.
  const torch::Tensor point_mask = Slice(obs, io::kLanePointMask, {kM, kP});
  const torch::Tensor along = torch::arange(kP, opts).div(static_cast<double>(kP - 1)).view({1, 1, kP, 1}).expand({b, kM, kP, 1});
  torch::Tensor points = point_mlp_->forward(torch::cat({Slice(obs, io::kLanePointsBlock, {kM, kP, io::kLanePointDim}), along}, -1));
  points = points.masked_fill(point_mask.unsqueeze(-1) < 0.5f, -1e4f).amax(2);
  const torch::Tensor has_points = point_mask.amax(2).unsqueeze(-1) > 0.5f;
  torch::Tensor lanes = torch::where(has_points, points, torch::zeros_like(points)) +
                        lane_attr_->forward(Slice(obs, io::kLaneAttr, {kM, io::kLaneAttrDim}));
  lanes = lanes + type_embedding_->forward(torch::full({b, kM}, kLaneToken, opts.dtype(torch::kLong)));
  // Static objects.
  torch::Tensor statics = static_mlp_->forward(Slice(obs, io::kStatic, {kS, io::kStaticDim}));
  statics = statics + type_embedding_->forward(torch::full({b, kS}, kStaticToken, opts.dtype(torch::kLong)));
  // All tokens; padding rows zeroed and masked. The actor is always valid.
  const torch::Tensor valid = torch::cat({torch::ones({b, 1}, opts), Slice(obs, io::kAgentValid, {kK}),
                                          Slice(obs, io::kLaneValid, {kM}), Slice(obs, io::kStaticValid, {kS})}, 1);
  torch::Tensor tokens = torch::cat({ego.unsqueeze(1), agents, lanes, statics}, 1) * valid.unsqueeze(-1);
  SceneTokens out;
  out.padding = valid < 0.5f;
  out.tokens = encoder_->forward(tokens.transpose(0, 1), {}, out.padding);
  out.actor = out.tokens[0];
  return out;
}

// ---- transformer planner --------------------------------------------------------

TransformerPlannerImpl::TransformerPlannerImpl(const ModelConfig& c) : config_(c) {
  encoder_ = register_module("encoder", SceneEncoder(c));
  mode_queries_ = register_parameter("mode_queries", torch::randn({c.modes, c.dim}) * 0.1);
  decoder_ = register_module("decoder", Decoder(c));
  trajectory_head_ = register_module("trajectory_head", Mlp(c.dim, c.dim, kH * io::kPoseDim));
  score_head_ = register_module("score_head", nn::Linear(c.dim, 1));
}

PlannerOutput TransformerPlannerImpl::forward(const torch::Tensor& obs) {
  const SceneTokens scene = encoder_->forward(obs);
  const int64_t b = obs.size(0), n = config_.modes;
  const torch::Tensor queries = mode_queries_.unsqueeze(1).expand({n, b, config_.dim}) + scene.actor.unsqueeze(0);
  const torch::Tensor modes = decoder_->forward(queries, scene.tokens, {}, {}, {}, scene.padding);  // [N, B, D]
  PlannerOutput out;
  // The head gives each 0.1 s step's increment (x, y [2 m], heading [0.05 rad]);
  // the poses are their running sums, so a plan is a path, not 80 independent guesses.
  const torch::Tensor steps = trajectory_head_->forward(modes).transpose(0, 1).reshape({b, n, kH, io::kPoseDim});
  out.poses = (steps * StepScale(obs)).cumsum(2);
  out.scores = score_head_->forward(modes).squeeze(-1).transpose(0, 1).contiguous();
  return out;
}

// ---- diffusion planner ------------------------------------------------------------

DiffusionPlannerImpl::DiffusionPlannerImpl(const ModelConfig& c) : config_(c) {
  encoder_ = register_module("encoder", SceneEncoder(c));
  chunk_in_ = register_module("chunk_in", nn::Linear(kChunkFloats, c.dim));
  chunk_out_ = register_module("chunk_out", nn::Linear(c.dim, kChunkFloats));
  time_mlp_ = register_module("time", Mlp(c.dim, c.dim, c.dim));
  chunk_position_ = register_parameter("chunk_position", torch::randn({kChunks, c.dim}) * 0.1);
  decoder_ = register_module("decoder", Decoder(c));
  // Cosine schedule (Nichol & Dhariwal 2021): alpha_bar of steps 1 .. T.
  constexpr double kOffset = 0.008;
  const double t_total = static_cast<double>(c.diffusion_steps);
  auto f = [&](double t) {
    const double x = std::cos((t / t_total + kOffset) / (1.0 + kOffset) * std::numbers::pi / 2.0);
    return x * x;
  };
  for (int64_t i = 1; i <= c.diffusion_steps; ++i) {
    alphas_cumprod_.push_back(std::clamp(f(static_cast<double>(i)) / f(0.0), 1e-5, 0.99999));
  }
}

torch::Tensor DiffusionPlannerImpl::TimeEmbedding(const torch::Tensor& t) const {
  const int64_t half = config_.dim / 2;
  const torch::Tensor freqs =
      torch::exp(torch::arange(half, t.options().dtype(torch::kFloat)) * (-std::log(10000.0) / static_cast<double>(half)));
  const torch::Tensor args = t.to(torch::kFloat).unsqueeze(1) * freqs.unsqueeze(0);
  torch::Tensor emb = torch::cat({torch::sin(args), torch::cos(args)}, 1);
  if (emb.size(1) < config_.dim) emb = torch::cat({emb, torch::zeros({t.size(0), 1}, emb.options())}, 1);
  return emb;
}

torch::Tensor DiffusionPlannerImpl::Denoise(const SceneTokens& scene, const torch::Tensor& x_t, const torch::Tensor& t) {
  const int64_t b = x_t.size(0);
  torch::Tensor q = chunk_in_->forward(x_t.reshape({b, kChunks, kChunkFloats})) + chunk_position_.unsqueeze(0) +
                    time_mlp_->forward(TimeEmbedding(t)).unsqueeze(1) + scene.actor.unsqueeze(1);
  const torch::Tensor out = decoder_->forward(q.transpose(0, 1), scene.tokens, {}, {}, {}, scene.padding);
  return chunk_out_->forward(out).transpose(0, 1).reshape({b, kH, io::kPoseDim});
}

torch::Tensor DiffusionPlannerImpl::Loss(const torch::Tensor& obs, const torch::Tensor& target, const torch::Tensor& mask,
                                         const torch::Tensor& t, const torch::Tensor& noise, double pose_weight) {
  // Hold the last valid pose past the log's end (step 0 is always valid).
  const torch::Tensor last =
      std::get<0>((torch::arange(kH, t.options()).unsqueeze(0) * (mask > 0.5f).to(torch::kLong)).cummax(1));
  const torch::Tensor filled = target.gather(1, last.unsqueeze(-1).expand({-1, -1, io::kPoseDim}));
  const torch::Tensor x0 = StepsFromPoses(filled);
  const torch::Tensor ab = torch::tensor(alphas_cumprod_, torch::TensorOptions().dtype(torch::kDouble))
                               .to(target.options()).index_select(0, t).view({-1, 1, 1});
  const torch::Tensor x_t = ab.sqrt() * x0 + (1.0 - ab).sqrt() * noise;
  const torch::Tensor pred = Denoise(encoder_->forward(obs), x_t, t);
  torch::Tensor err = (pred - x0).pow(2).sum(-1);  // [B, H]
  if (pose_weight > 0.0) {
    const torch::Tensor miss = PosesFromSteps(pred) - filled;
    const torch::Tensor scale = torch::tensor({kPoseLossScale[0], kPoseLossScale[1], kPoseLossScale[2]}, miss.options());
    const torch::Tensor d = torch::cat({miss.narrow(-1, 0, 2), WrapAngle(miss.narrow(-1, 2, 1))}, -1) / scale;
    err = err + pose_weight * d.pow(2).sum(-1);
  }
  return (err * mask).sum() / mask.sum().clamp_min(1.0);
}

torch::Tensor DiffusionPlannerImpl::Sample(const torch::Tensor& obs, const torch::Tensor& noise, const GuidanceCost& guidance,
                                           double guidance_scale) {
  const SceneTokens scene = encoder_->forward(obs);
  const int64_t steps = config_.sample_steps, total = config_.diffusion_steps;
  torch::Tensor x = noise;
  for (int64_t i = 0; i < steps; ++i) {
    // Steps from T - 1 down to 0, evenly spaced.
    const int64_t t = steps == 1 ? 0 : (total - 1) * (steps - 1 - i) / (steps - 1);
    torch::Tensor x0 = Denoise(scene, x, torch::full({x.size(0)}, t, obs.options().dtype(torch::kLong))).clamp(-10.0, 10.0);
    if (guidance && guidance_scale != 0.0) {
      torch::AutoGradMode grad(true);
      torch::Tensor leaf = x0.detach().requires_grad_(true);
      const torch::Tensor cost = guidance(PosesFromSteps(leaf), obs).sum();
      const torch::Tensor g = torch::autograd::grad({cost}, {leaf})[0];
      // A step of at most kMaxGuidanceStep per value (normalised increments:
      // 0.4 m, 0.01 rad), so one steep cost cannot throw the sample away.
      constexpr double kMaxGuidanceStep = 0.2;
      x0 = (x0 - (guidance_scale * g).clamp(-kMaxGuidanceStep, kMaxGuidanceStep)).detach();
    }
    if (i == steps - 1) {
      x = x0;
      break;
    }
    const int64_t t_next = (total - 1) * (steps - 2 - i) / (steps - 1);
    const double ab = alphas_cumprod_[static_cast<size_t>(t)], ab_next = alphas_cumprod_[static_cast<size_t>(t_next)];
    const torch::Tensor eps = (x - std::sqrt(ab) * x0) / std::sqrt(1.0 - ab);
    x = std::sqrt(ab_next) * x0 + std::sqrt(1.0 - ab_next) * eps;
  }
  return PosesFromSteps(x);
}

// ---- either ------------------------------------------------------------------------

std::shared_ptr<torch::nn::Module> AnyModel::module() const {
  if (transformer) return transformer.ptr();
  return diffusion.ptr();
}

AnyModel MakeModel(const ModelConfig& config) {
  AnyModel m;
  m.config = config;
  if (config.kind == "diffusion") {
    m.diffusion = DiffusionPlanner(config);
  } else {
    m.transformer = TransformerPlanner(config);
  }
  return m;
}

torch::Tensor WrapAngle(const torch::Tensor& a) { return torch::atan2(torch::sin(a), torch::cos(a)); }

}  // namespace tarmac::learned
