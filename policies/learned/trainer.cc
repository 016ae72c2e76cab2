// `tarmac train` (policies/learned/train.h): imitation learning of the
// transformer or diffusion planner from logged driving, deterministic on the
// CPU for a given seed and thread count.
//
// One epoch: the training samples in an order shuffled by (seed, epoch); each
// batch's observations built by the feature builder (in parallel), perturbed
// by the augmentation drawn from (seed, epoch, sample); one AdamW step
// (implemented here so its state is plain tensors in the checkpoint). Then the
// validation samples (no augmentation), and the checkpoint is rewritten:
// weights, optimiser state, epoch and step, the loss history. Resuming from it
// with the same options continues exactly where it stopped.
//
// Data-parallel (options.world > 1, docs/scale-out.md): every rank builds the
// same data, order and model (rank 0's weights broadcast at the start); each
// global batch is split into contiguous slices, one per rank; the losses are
// normalised by the whole global batch (its mask sum and sample count summed
// over the ranks), so the ranks' losses sum to the one-process loss and their
// summed gradients are its gradient; clipping and AdamW then run identically
// on every rank. Diffusion's t and noise are drawn for the global batch and
// sliced. Validation batches go round-robin to the ranks and their sums are
// added up. Rank 0 reports and writes the checkpoint and loss CSV.
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <numeric>

#include "policies/features/model_io.h"
#include "policies/learned/checkpoint.h"
#include "policies/learned/data_parallel.h"
#include "policies/learned/models.h"
#include "policies/learned/torch_planner.h"
#include "policies/learned/train.h"
#include "policies/learned/training_data.h"
#include "scenarios/splitmix.h"
#include "sim/thread_pool.h"

namespace tarmac {
namespace {

namespace io = model_io;
using learned::AnyModel;
using learned::ModelConfig;
using learned::NamedTensor;
constexpr int64_t kF = static_cast<int64_t>(io::kObservationFloats);
constexpr int64_t kH = io::kFutureSteps;

uint64_t Mix(uint64_t a, uint64_t b, uint64_t c) {
  SplitMix64 g(a ^ 0x7A11C0DEULL);
  uint64_t s = g.Next() ^ (b * 0x9E3779B97F4A7C15ULL);
  s = SplitMix64(s).Next() ^ (c * 0xC2B2AE3D27D4EB4FULL);
  return SplitMix64(s).Next();
}

// AdamW with bias correction; state as named tensors ("m/<param>", "v/<param>").
class AdamW {
 public:
  AdamW(const torch::nn::Module& model, double weight_decay) : weight_decay_(weight_decay) {
    for (const auto& p : model.named_parameters()) {
      names_.push_back(p.key());
      params_.push_back(p.value());
      m_.push_back(torch::zeros_like(p.value()));
      v_.push_back(torch::zeros_like(p.value()));
    }
  }
  void ZeroGrad() {
    for (torch::Tensor& p : params_) {
      if (p.grad().defined()) p.mutable_grad().zero_();
    }
  }
  // One update at learning rate `lr`; `t` counts updates from 1.
  void Step(double lr, int64_t t) {
    torch::NoGradGuard no_grad;
    const double c1 = 1.0 - std::pow(kBeta1, static_cast<double>(t)), c2 = 1.0 - std::pow(kBeta2, static_cast<double>(t));
    for (size_t i = 0; i < params_.size(); ++i) {
      torch::Tensor& p = params_[i];
      if (!p.grad().defined()) continue;
      const torch::Tensor& g = p.grad();
      m_[i].mul_(kBeta1).add_(g, 1.0 - kBeta1);
      v_[i].mul_(kBeta2).addcmul_(g, g, 1.0 - kBeta2);
      p.mul_(1.0 - lr * weight_decay_);
      p.addcdiv_(m_[i], (v_[i] / c2).sqrt_().add_(kEps), -lr / c1);
    }
  }
  std::vector<NamedTensor> State() const {
    std::vector<NamedTensor> out;
    for (size_t i = 0; i < names_.size(); ++i) out.push_back({"m/" + names_[i], m_[i]});
    for (size_t i = 0; i < names_.size(); ++i) out.push_back({"v/" + names_[i], v_[i]});
    return out;
  }
  Result<void> Restore(const std::vector<NamedTensor>& state, const std::string& file) {
    std::map<std::string, torch::Tensor> by_name;
    for (const NamedTensor& t : state) by_name[t.name] = t.tensor;
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < names_.size(); ++i) {
      for (auto [prefix, dst] : {std::pair{"m/", &m_[i]}, std::pair{"v/", &v_[i]}}) {
        auto it = by_name.find(prefix + names_[i]);
        if (it == by_name.end()) return Error{fmt::format("checkpoint {}: optimiser state '{}{}' is missing", file, prefix, names_[i])};
        if (it->second.sizes() != dst->sizes()) {
          return Error{fmt::format("checkpoint {}: optimiser state '{}{}' has the wrong shape", file, prefix, names_[i])};
        }
        dst->copy_(it->second);
      }
    }
    return {};
  }

 private:
  static constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;
  double weight_decay_;
  std::vector<std::string> names_;
  std::vector<torch::Tensor> params_, m_, v_;
};

struct Batch {
  torch::Tensor obs;     // [B, F]
  torch::Tensor target;  // [B, H, 3]
  torch::Tensor mask;    // [B, H]
};

// Winner-takes-all: the mode closest to the log (mean xy distance over valid
// steps) is regressed (smooth L1 on x, y [m] + |wrapped heading error|
// [rad]), and the scores learn to pick it (cross-entropy).
// Data-parallel only (else 1): `reg_share` = this rank's mask sum / the
// global batch's, `ce_share` = its samples / the global batch's; the
// regression and cross-entropy means are scaled by them, so the ranks'
// losses sum to the global batch's loss.
torch::Tensor TransformerLoss(const learned::PlannerOutput& out, const Batch& b, double reg_share = 1.0,
                              double ce_share = 1.0) {
  const torch::Tensor valid = b.mask.sum(1).clamp_min(1.0);  // [B]
  const torch::Tensor dist = (out.poses.narrow(-1, 0, 2) - b.target.narrow(-1, 0, 2).unsqueeze(1)).norm(2, -1);  // [B, N, H]
  const torch::Tensor ade = (dist * b.mask.unsqueeze(1)).sum(-1) / valid.unsqueeze(1);  // [B, N]
  const torch::Tensor winner = ade.detach().argmin(1);                                   // [B]
  const torch::Tensor best =
      out.poses.gather(1, winner.view({-1, 1, 1, 1}).expand({-1, 1, kH, io::kPoseDim})).squeeze(1);  // [B, H, 3]
  const torch::Tensor xy = torch::smooth_l1_loss(best.narrow(-1, 0, 2), b.target.narrow(-1, 0, 2), at::Reduction::None).sum(-1);
  const torch::Tensor heading = learned::WrapAngle(best.select(-1, 2) - b.target.select(-1, 2)).abs();
  const torch::Tensor reg = ((xy + heading) * b.mask).sum() / b.mask.sum().clamp_min(1.0);
  const torch::Tensor ce = torch::cross_entropy_loss(out.scores, winner);
  if (reg_share == 1.0 && ce_share == 1.0) return reg + ce;
  return reg * reg_share + ce * ce_share;
}

// ADE / FDE of the planned poses [B, H, 3] against the log: sums and counts.
void AddErrors(const torch::Tensor& poses, const Batch& b, double* ade_sum, double* fde_sum, int64_t* ade_n, int64_t* fde_n) {
  const torch::Tensor dist = (poses.narrow(-1, 0, 2) - b.target.narrow(-1, 0, 2)).norm(2, -1);  // [B, H]
  const torch::Tensor valid = b.mask.sum(1);
  const torch::Tensor ok = valid > 0.5;
  *ade_sum += ((dist * b.mask).sum(1) / valid.clamp_min(1.0)).masked_select(ok).sum().item<double>();
  *ade_n += ok.sum().item<int64_t>();
  const torch::Tensor last = b.mask.select(1, kH - 1) > 0.5;
  *fde_sum += dist.select(1, kH - 1).masked_select(last).sum().item<double>();
  *fde_n += last.sum().item<int64_t>();
}

struct EpochRecord {
  int epoch;
  int64_t step;
  double train_loss, val_loss, val_ade, val_fde;
};

Result<void> WriteLossCsv(const std::string& path, const std::vector<EpochRecord>& history) {
  std::ofstream f(path, std::ios::trunc);
  if (!f) return Error{fmt::format("--loss-csv {}: cannot write", path)};
  f << "epoch,step,train_loss,val_loss,val_ade_m,val_fde_m\n";
  for (const EpochRecord& r : history) {
    f << fmt::format("{},{},{:.6g},{:.6g},{:.6g},{:.6g}\n", r.epoch, r.step, r.train_loss, r.val_loss, r.val_ade, r.val_fde);
  }
  return f ? Result<void>() : Error{fmt::format("--loss-csv {}: write failed", path)};
}

nlohmann::json OptionsJson(const TrainOptions& o) {
  // Not "epochs": a resumed run may go on for longer (the learning-rate
  // schedule then changes from where it resumed).
  nlohmann::json j = {{"batch", o.batch},   {"lr", o.lr},
          {"weight_decay", o.weight_decay}, {"seed", o.seed}, {"val_fraction", o.val_fraction},
          {"stride", o.stride},        {"max_batches", o.max_batches},
          {"augment", {{"probability", o.augment.probability}, {"lateral_m", o.augment.lateral_m},
                       {"heading_rad", o.augment.heading_rad}, {"speed_frac", o.augment.speed_frac}}}};
  // Recorded only when used, so checkpoints from before it resume unchanged.
  if (o.pose_loss_weight != 0.0) j["pose_loss_weight"] = o.pose_loss_weight;
  return j;
}

class Trainer {
 public:
  Trainer(const TrainOptions& o, TrainingData* data, ThreadPool* pool) : o_(o), data_(data), pool_(pool) {}

  // Builds the batch of `refs` (ids: the samples' indices, for augmentation).
  Result<Batch> MakeBatch(std::span<const SampleRef> refs, std::span<const uint64_t> ids, bool augment, int epoch) {
    const size_t n = refs.size();
    obs_.resize(n * io::kObservationFloats);
    target_.resize(n * io::kTargetFloats);
    const Result<void> ok = data_->Fill(refs, ids, augment ? &o_.augment : nullptr, static_cast<uint64_t>(o_.seed),
                                        static_cast<uint64_t>(epoch), obs_, target_, pool_);
    if (!ok.ok()) return ok.error();
    const int64_t b = static_cast<int64_t>(n);
    const torch::Tensor t = torch::from_blob(target_.data(), {b, static_cast<int64_t>(io::kTargetFloats)}, torch::kFloat);
    Batch out;
    out.obs = torch::from_blob(obs_.data(), {b, kF}, torch::kFloat).clone();
    out.target = t.narrow(1, 0, kH * io::kPoseDim).reshape({b, kH, io::kPoseDim}).clone();
    out.mask = t.narrow(1, static_cast<int64_t>(io::kTargetMask.offset), kH).clone();
    return out;
  }

 private:
  const TrainOptions& o_;
  TrainingData* data_;
  ThreadPool* pool_;
  std::vector<float> obs_, target_;
};

Result<TrainSummary> Train(const TrainOptions& o, const std::function<void(const TrainProgress&)>& progress) {
  if (o.model != "transformer" && o.model != "diffusion") {
    return Error{fmt::format("--model '{}' is not transformer or diffusion", o.model)};
  }
  if (o.epochs < 1) return Error{fmt::format("--epochs {} must be at least 1", o.epochs)};
  if (o.batch < 1) return Error{fmt::format("--batch {} must be at least 1", o.batch)};
  if (!(o.lr > 0.0) || !std::isfinite(o.lr)) return Error{fmt::format("--lr {} must be positive", o.lr)};
  if (o.threads < 1) return Error{fmt::format("--threads {} must be at least 1", o.threads)};
  if (o.out.empty()) return Error{"--out is required"};
  if (o.max_batches < 0) return Error{fmt::format("--max-batches {} must not be negative", o.max_batches)};
  if (o.stop_after < 0) return Error{fmt::format("--stop-after {} must not be negative", o.stop_after)};
  if (!(o.augment.probability >= 0.0 && o.augment.probability <= 1.0)) {
    return Error{fmt::format("--augment-probability {} must be in [0, 1]", o.augment.probability)};
  }
  if (!(o.augment.lateral_m >= 0.0) || !(o.augment.heading_rad >= 0.0) ||
      !(o.augment.speed_frac >= 0.0 && o.augment.speed_frac < 1.0)) {
    return Error{fmt::format("--augment-lateral {}, --augment-heading {} must be >= 0 and --augment-speed {} in [0, 1)",
                             o.augment.lateral_m, o.augment.heading_rad, o.augment.speed_frac)};
  }
  if (!(o.pose_loss_weight >= 0.0) || !std::isfinite(o.pose_loss_weight)) {
    return Error{fmt::format("--pose-loss-weight {} must be a finite number >= 0", o.pose_loss_weight)};
  }
  if (o.pose_loss_weight != 0.0 && o.model != "diffusion") {
    return Error{fmt::format("--pose-loss-weight {} is for the diffusion model (the transformer's loss is already in "
                             "metres)", o.pose_loss_weight)};
  }
  if (o.data.empty()) return Error{"--data: no scenario files"};
  if (o.ego_history < 1 || o.ego_history > io::kHistorySteps) {
    return Error{fmt::format("--ego-history {} must be in [1, {}]", o.ego_history, io::kHistorySteps)};
  }
  if (o.world < 1 || o.rank < 0 || o.rank >= o.world) {
    return Error{fmt::format("data-parallel rank {} of {} is not a valid rank", o.rank, o.world)};
  }
  if (o.world > 1 && o.store.empty()) return Error{"data-parallel training needs a store path (TARMAC_DP_STORE)"};
  ModelConfig config;
  config.kind = o.model;
  config.dim = o.dim;
  config.heads = o.heads;
  config.encoder_layers = o.encoder_layers;
  config.decoder_layers = o.decoder_layers;
  config.feedforward = o.feedforward;
  config.modes = o.model == "diffusion" ? 1 : o.modes;
  config.ego_history = o.ego_history;
  if (Result<ModelConfig> c = ModelConfig::FromJson(config.ToJson()); !c.ok()) return c.error();

  learned::SetTorchThreads(o.threads);
  ThreadPool pool(o.threads);
  Result<std::unique_ptr<TrainingData>> loaded = TrainingData::Load(o.data, o.stride, o.val_fraction, o.seed);
  if (!loaded.ok()) return loaded.error();
  TrainingData& data = **loaded;

  torch::manual_seed(static_cast<uint64_t>(o.seed));
  AnyModel model = learned::MakeModel(config);
  std::vector<EpochRecord> history;
  int done_epochs = 0;
  int64_t step = 0;
  std::vector<NamedTensor> optimiser_state;
  if (!o.resume.empty()) {
    Result<learned::LoadedCheckpoint> ckpt = learned::LoadCheckpoint(o.resume, o.model);
    if (!ckpt.ok()) return ckpt.error();
    if (ckpt->info.config.ToJson() != config.ToJson()) {
      return Error{fmt::format("--resume {}: hyper-parameters {} differ from this command's {}", o.resume,
                               ckpt->info.config.ToJson().dump(), config.ToJson().dump())};
    }
    if (ckpt->info.data_hash != o.data_hash) {
      return Error{fmt::format("--resume {}: trained on data {}, this command's data is {}", o.resume,
                               ckpt->info.data_hash, o.data_hash)};
    }
    const nlohmann::json& tr = ckpt->info.training;
    const nlohmann::json mine = OptionsJson(o);
    // Options recorded only when used (pose_loss_weight) may be in the
    // checkpoint and not in this command.
    if (tr.contains("options") && tr["options"].is_object()) {
      for (const auto& [key, value] : tr["options"].items()) {
        if (!mine.contains(key)) {
          return Error{fmt::format("--resume {}: it was trained with {} = {}, this command has (none)", o.resume, key,
                                   value.dump())};
        }
      }
    }
    for (const auto& [key, value] : mine.items()) {
      if (!tr.contains("options") || !tr["options"].contains(key) || tr["options"][key] != value) {
        return Error{fmt::format("--resume {}: it was trained with {} = {}, this command has {}", o.resume, key,
                                 tr.contains("options") && tr["options"].contains(key) ? tr["options"][key].dump() : "(none)",
                                 value.dump())};
      }
    }
    model = ckpt->model;
    done_epochs = tr.value("epoch", 0);
    step = tr.value("step", int64_t{0});
    optimiser_state = ckpt->optimiser;
    for (const auto& h : tr.value("history", nlohmann::json::array())) {
      history.push_back({h.at("epoch").get<int>(), h.at("step").get<int64_t>(), h.at("train_loss").get<double>(),
                         h.at("val_loss").get<double>(), h.at("val_ade").get<double>(), h.at("val_fde").get<double>()});
    }
  }
  const std::shared_ptr<torch::nn::Module> module = model.module();
  std::unique_ptr<DataParallel> dp;
  // On failure the group stays open until this process exits (leaked), so
  // the other ranks lose this rank only after it has reported why (the
  // launcher in tools/train_command.cc names the first rank to report).
  bool finished = false;
  struct LeakGroupOnFailure {
    std::unique_ptr<DataParallel>* dp;
    const bool* finished;
    ~LeakGroupOnFailure() {
      if (!*finished) (void)dp->release();
    }
  } leak_on_failure{&dp, &finished};
  if (o.world > 1) {
    Result<std::unique_ptr<DataParallel>> joined = DataParallel::Join(o.rank, o.world, o.store, o.host);
    if (!joined.ok()) return joined.error();
    dp = std::move(*joined);
    try {
      dp->Broadcast(*module);
    } catch (const std::exception& e) {
      return Error{fmt::format("data-parallel rank {} of {}: broadcast failed: {}", o.rank, o.world, e.what())};
    }
  }
  const bool lead = o.rank == 0;  // reports and writes
  AdamW adam(*module, o.weight_decay);
  if (!optimiser_state.empty()) {
    if (Result<void> r = adam.Restore(optimiser_state, o.resume); !r.ok()) return r.error();
  }

  TrainSummary summary;
  summary.train_samples = static_cast<int64_t>(data.train().size());
  summary.val_samples = static_cast<int64_t>(data.val().size());
  summary.train_scenarios = data.train_scenarios();
  summary.val_scenarios = data.val_scenarios();
  for (const auto& p : module->parameters()) summary.parameters += p.numel();
  const int64_t n_train = summary.train_samples;
  int64_t batches = (n_train + o.batch - 1) / o.batch;
  if (o.max_batches > 0) batches = std::min<int64_t>(batches, o.max_batches);
  const int64_t total_steps = batches * o.epochs;
  Trainer trainer(o, &data, &pool);

  try {
    const int last_epoch = o.stop_after > 0 ? std::min(o.epochs, done_epochs + o.stop_after) : o.epochs;
    for (int epoch = done_epochs + 1; epoch <= last_epoch; ++epoch) {
      module->train();
      // This epoch's order: Fisher-Yates from (seed, epoch).
      std::vector<uint64_t> order(static_cast<size_t>(n_train));
      std::iota(order.begin(), order.end(), uint64_t{0});
      SplitMix64 shuffle(Mix(static_cast<uint64_t>(o.seed), static_cast<uint64_t>(epoch), 1));
      for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[shuffle.Below(i)]);
      double loss_sum = 0.0;
      for (int64_t bi = 0; bi < batches; ++bi) {
        const size_t from = static_cast<size_t>(bi * o.batch);
        const size_t to = std::min(order.size(), from + static_cast<size_t>(o.batch));
        // This rank's contiguous slice [lo, hi) of the global batch [from, to).
        const size_t world = static_cast<size_t>(o.world), rank = static_cast<size_t>(o.rank);
        const size_t lo = from + (to - from) * rank / world, hi = from + (to - from) * (rank + 1) / world;
        std::vector<SampleRef> refs;
        std::vector<uint64_t> ids(order.begin() + static_cast<std::ptrdiff_t>(lo), order.begin() + static_cast<std::ptrdiff_t>(hi));
        for (uint64_t id : ids) refs.push_back(data.train()[id]);
        Result<Batch> b = hi > lo ? trainer.MakeBatch(refs, ids, true, epoch) : Result<Batch>(Batch{});
        if (!b.ok()) return b.error();
        // Data-parallel: this rank's share of the global batch's normalisers.
        double mask_share = 1.0, sample_share = 1.0;
        if (dp) {
          const double mask_sum = hi > lo ? b->mask.sum().item<double>() : 0.0;
          torch::Tensor global = torch::tensor({mask_sum, static_cast<double>(hi - lo)}, torch::kDouble);
          dp->AllReduceSum(global);
          mask_share = std::max(mask_sum, 1.0) / std::max(global[0].item<double>(), 1.0);
          sample_share = static_cast<double>(hi - lo) / global[1].item<double>();
        }
        torch::Tensor loss;
        if (hi == lo) {
          // No rows on this rank (a last batch smaller than the ranks): no loss, no gradient.
        } else if (model.transformer) {
          loss = TransformerLoss(model.transformer->forward(b->obs), *b, mask_share, sample_share);
        } else {
          at::Generator g = at::detail::createCPUGenerator(Mix(static_cast<uint64_t>(o.seed), static_cast<uint64_t>(epoch), static_cast<uint64_t>(bi) + 2));
          // Drawn for the whole global batch, this rank's rows taken.
          const int64_t n = static_cast<int64_t>(to - from);
          torch::Tensor t = torch::randint(0, config.diffusion_steps, {n}, g, torch::kLong);
          torch::Tensor noise = torch::randn({n, kH, io::kPoseDim}, g, torch::kFloat);
          if (dp) {
            t = t.narrow(0, static_cast<int64_t>(lo - from), static_cast<int64_t>(hi - lo));
            noise = noise.narrow(0, static_cast<int64_t>(lo - from), static_cast<int64_t>(hi - lo));
          }
          loss = model.diffusion->Loss(b->obs, b->target, b->mask, t, noise, o.pose_loss_weight);
          if (dp) loss = loss * mask_share;
        }
        adam.ZeroGrad();
        if (loss.defined()) loss.backward();
        if (dp) dp->AllReduceGradients(*module, 1.0);
        torch::nn::utils::clip_grad_norm_(module->parameters(), 1.0);
        ++step;
        // Cosine decay from lr to lr / 10 over the run.
        const double phase = std::min(1.0, static_cast<double>(step - 1) / static_cast<double>(std::max<int64_t>(1, total_steps - 1)));
        adam.Step(o.lr * (0.1 + 0.9 * 0.5 * (1.0 + std::cos(M_PI * phase))), step);
        double l = loss.defined() ? loss.item<double>() : 0.0;
        if (dp) {
          torch::Tensor sum = torch::tensor({l}, torch::kDouble);
          dp->AllReduceSum(sum);
          l = sum.item<double>();
        }
        if (!std::isfinite(l)) return Error{fmt::format("training diverged: loss {} at epoch {} batch {}", l, epoch, bi + 1)};
        loss_sum += l;
        if (progress && lead) progress({epoch, o.epochs, bi + 1, batches, l, false, 0.0, 0.0, 0.0});
      }
      // Validation: every validation sample (up to max_batches batches), no
      // augmentation. Data-parallel: batch k on rank k % world, sums added up.
      module->eval();
      double val_sum = 0.0, ade_sum = 0.0, fde_sum = 0.0;
      int64_t val_batches = 0, ade_n = 0, fde_n = 0;
      {
        torch::NoGradGuard no_grad;
        const int64_t n_val = static_cast<int64_t>(data.val().size());
        for (int64_t from = 0; from < n_val; from += o.batch, ++val_batches) {
          if (o.max_batches > 0 && val_batches >= o.max_batches) break;
          if (val_batches % o.world != o.rank) continue;
          const int64_t to = std::min(n_val, from + o.batch);
          std::vector<SampleRef> refs(data.val().begin() + from, data.val().begin() + to);
          std::vector<uint64_t> ids(refs.size());
          std::iota(ids.begin(), ids.end(), static_cast<uint64_t>(from));
          Result<Batch> b = trainer.MakeBatch(refs, ids, false, epoch);
          if (!b.ok()) return b.error();
          torch::Tensor driven;
          if (model.transformer) {
            const learned::PlannerOutput out = model.transformer->forward(b->obs);
            val_sum += TransformerLoss(out, *b).item<double>();
            const torch::Tensor best = out.scores.argmax(1);
            driven = out.poses.gather(1, best.view({-1, 1, 1, 1}).expand({-1, 1, kH, io::kPoseDim})).squeeze(1);
          } else {
            at::Generator g = at::detail::createCPUGenerator(Mix(static_cast<uint64_t>(o.seed), 0, static_cast<uint64_t>(from) + 3));
            const int64_t n = b->obs.size(0);
            const torch::Tensor t = torch::randint(0, config.diffusion_steps, {n}, g, torch::kLong);
            const torch::Tensor noise = torch::randn({n, kH, io::kPoseDim}, g, torch::kFloat);
            val_sum += model.diffusion->Loss(b->obs, b->target, b->mask, t, noise, o.pose_loss_weight).item<double>();
            driven = model.diffusion->Sample(b->obs, torch::randn({n, kH, io::kPoseDim}, g, torch::kFloat));
          }
          AddErrors(driven, *b, &ade_sum, &fde_sum, &ade_n, &fde_n);
        }
      }
      if (dp) {
        torch::Tensor sums = torch::tensor({val_sum, ade_sum, fde_sum, static_cast<double>(ade_n), static_cast<double>(fde_n)},
                                           torch::kDouble);
        dp->AllReduceSum(sums);
        val_sum = sums[0].item<double>();
        ade_sum = sums[1].item<double>();
        fde_sum = sums[2].item<double>();
        ade_n = static_cast<int64_t>(std::llround(sums[3].item<double>()));
        fde_n = static_cast<int64_t>(std::llround(sums[4].item<double>()));
      }
      EpochRecord rec{epoch, step, loss_sum / static_cast<double>(std::max<int64_t>(1, batches)),
                      val_batches > 0 ? val_sum / static_cast<double>(val_batches) : 0.0,
                      ade_n > 0 ? ade_sum / static_cast<double>(ade_n) : 0.0,
                      fde_n > 0 ? fde_sum / static_cast<double>(fde_n) : 0.0};
      history.push_back(rec);
      // The checkpoint after every epoch: what a resumed run needs.
      nlohmann::json hist = nlohmann::json::array();
      for (const EpochRecord& r : history) {
        hist.push_back({{"epoch", r.epoch}, {"step", r.step}, {"train_loss", r.train_loss}, {"val_loss", r.val_loss},
                        {"val_ade", r.val_ade}, {"val_fde", r.val_fde}});
      }
      learned::CheckpointInfo info;
      info.config = config;
      info.data_hash = o.data_hash;
      info.code_rev = o.code_rev;
      info.training = {{"epoch", epoch},
                       {"epochs", o.epochs},
                       {"step", step},
                       {"options", OptionsJson(o)},
                       {"threads", o.threads},
                       {"nproc", o.world},
                       {"train_samples", summary.train_samples},
                       {"val_samples", summary.val_samples},
                       {"train_scenarios", summary.train_scenarios},
                       {"val_scenarios", summary.val_scenarios},
                       {"history", hist}};
      // Rank 0 writes (the other ranks hold the same weights).
      const Result<void> saved = lead ? learned::SaveCheckpoint(o.out, info, *module, adam.State()) : Result<void>();
      if (!saved.ok()) return saved.error();
      if (lead && !o.loss_csv.empty()) {
        if (Result<void> w = WriteLossCsv(o.loss_csv, history); !w.ok()) return w.error();
      }
      ++summary.epochs_run;
      if (progress && lead) progress({epoch, o.epochs, batches, batches, rec.train_loss, true, rec.val_loss, rec.val_ade, rec.val_fde});
    }
  } catch (const c10::Error& e) {
    return Error{fmt::format("training failed: {}", e.what_without_backtrace())};
  } catch (const std::exception& e) {
    // Gloo reports a lost peer with its own exception types.
    return Error{fmt::format("training failed: {}", e.what())};
  }
  if (!history.empty()) {
    summary.train_loss = history.back().train_loss;
    summary.val_loss = history.back().val_loss;
    summary.val_ade = history.back().val_ade;
    summary.val_fde = history.back().val_fde;
  }
  finished = true;
  return summary;
}

}  // namespace

Result<TrainSummary> TrainModel(const TrainOptions& options, const std::function<void(const TrainProgress&)>& progress) {
  return Train(options, progress);
}

}  // namespace tarmac
