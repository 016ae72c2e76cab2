#include "policies/learned/torch_planner.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "policies/features/model_io.h"
#include "policies/features/trajectory_decoder.h"
#include "policies/learned/checkpoint.h"
#include "policies/learned/plan_costs.h"
#include "sim/thread_pool.h"

namespace tarmac::learned {
namespace {

namespace io = model_io;
constexpr int64_t kF = static_cast<int64_t>(io::kObservationFloats);
constexpr int64_t kH = io::kFutureSteps;

std::string Shape(const torch::Tensor& t) { return fmt::format("[{}]", fmt::join(t.sizes().vec(), ", ")); }

// Guidance step per unit of plan-cost gradient and of --plan-cost-weight:
// a collision of ~0.3 penetration over ~1 s moves the speed increments by
// ~0.1 (0.2 m per step) per DDIM step (docs/learned-planners.md).
constexpr double kCostGuidanceGain = 3e-4;

// Checks a batch's output against the contract and brings it to the CPU as
// contiguous float32.
Result<BatchOutput> CheckOutput(torch::Tensor poses, torch::Tensor scores, int64_t b, const std::string& who) {
  const std::string want = fmt::format(
      "the contract (docs/model-io.md) wants Tensor[{0}, {1}, 3] or (Tensor[{0}, N, {1}, 3], Tensor[{0}, N]) with "
      "1 <= N <= {2}",
      b, kH, io::kMaxModes);
  if (!scores.defined()) {
    if (poses.dim() != 3 || poses.size(0) != b || poses.size(1) != kH || poses.size(2) != io::kPoseDim) {
      return Error{fmt::format("{}: forward returned Tensor{}; {}", who, Shape(poses), want)};
    }
    poses = poses.unsqueeze(1);
    scores = torch::zeros({b, 1});
  }
  if (poses.dim() != 4 || poses.size(0) != b || poses.size(2) != kH || poses.size(3) != io::kPoseDim ||
      poses.size(1) < 1 || poses.size(1) > io::kMaxModes || scores.dim() != 2 || scores.size(0) != b ||
      scores.size(1) != poses.size(1)) {
    return Error{fmt::format("{}: forward returned (Tensor{}, Tensor{}); {}", who, Shape(poses), Shape(scores), want)};
  }
  if (!poses.is_floating_point() || !scores.is_floating_point()) {
    return Error{fmt::format("{}: forward returned non-floating-point tensors; {}", who, want)};
  }
  return BatchOutput{poses.to(torch::kCPU, torch::kFloat).contiguous(), scores.to(torch::kCPU, torch::kFloat).contiguous()};
}

}  // namespace

void SetTorchThreads(int threads) {
  static std::once_flag interop;
  std::call_once(interop, [] {
    try {
      at::set_num_interop_threads(1);
    } catch (const c10::Error&) {
      // Inter-op work already started elsewhere in the process: keep torch's setting.
    }
  });
  torch::set_num_threads(std::max(1, threads));
}

Result<torch::Device> ResolveDevice(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name == "cuda") {
    if (!torch::cuda::is_available()) {
      return Error{fmt::format("--device cuda: CUDA is not available ({}; build against a CUDA LibTorch with "
                               "CMAKE_PREFIX_PATH and run on a machine with a GPU, see docs/learned-planners.md)",
                               TorchDescription())};
    }
    return torch::Device(torch::kCUDA, 0);
  }
  return Error{fmt::format("--device '{}' is not cpu or cuda", name)};
}

// ---- the batch -----------------------------------------------------------------

void TorchPlanner::Plan(std::span<const PlanRequest> requests, std::span<Trajectory> plans, std::span<std::string> errors,
                        ThreadPool* pool) {
  const int n = static_cast<int>(requests.size());
  if (n == 0) return;
  buffer_.assign(static_cast<size_t>(n) * io::kObservationFloats, 0.0f);
  const int chunks = std::max(1, std::min(n, pool != nullptr ? pool->size() : 1));
  if (builders_.size() < static_cast<size_t>(chunks)) builders_.resize(static_cast<size_t>(chunks));
  ParallelFor(pool, chunks, [&](int c) {
    FeatureBuilder& builder = builders_[static_cast<size_t>(c)];
    for (int i = c * n / chunks; i < (c + 1) * n / chunks; ++i) {
      const size_t k = static_cast<size_t>(i);
      const PlanRequest& r = requests[k];
      std::span<float> row(buffer_.data() + k * io::kObservationFloats, io::kObservationFloats);
      const Result<void> ok = builder.BuildObservation(*r.model, *r.state, r.actor, r.history, {row});
      if (!ok.ok()) errors[k] = fmt::format("{}: features: {}", name_, ok.error().message);
    }
  });
  if (device_.is_cpu()) {
    // Batch-invariant: one forward pass per request, with one torch thread,
    // the requests split across the pool. A row's numbers then do not depend
    // on the batch it came in nor on the thread count (OpenBLAS and torch's
    // kernels change their summation order with both).
    ParallelFor(pool, chunks, [&](int c) {
      omp_set_num_threads(1);  // this worker's OpenMP setting, read by torch's kernels and OpenBLAS
      for (int i = c * n / chunks; i < (c + 1) * n / chunks; ++i) {
        const size_t k = static_cast<size_t>(i);
        if (!errors[k].empty()) continue;
        Forward(requests.subspan(k, 1), i, 1, plans.subspan(k, 1), errors.subspan(k, 1));
      }
    });
    return;
  }
  Forward(requests, 0, n, plans, errors);
}

void TorchPlanner::Forward(std::span<const PlanRequest> requests, int first, int count, std::span<Trajectory> plans,
                           std::span<std::string> errors) {
  Result<BatchOutput> out = Error{""};
  try {
    torch::InferenceMode guard;
    const torch::Tensor obs =
        torch::from_blob(buffer_.data() + static_cast<size_t>(first) * io::kObservationFloats, {count, kF},
                         torch::kFloat)
            .to(device_);
    out = Run(obs, requests);
    if (out.ok() && cost_weight_ > 0.0) {
      // Choose by the model's preference and the plan costs: log p(candidate)
      // - weight * cost [m²] (diffusion samples are equally likely).
      const torch::Tensor cpu_obs = obs.to(torch::kCPU);
      out->scores = (torch::log_softmax(out->scores, 1) - cost_weight_ * PlanCost(out->poses, cpu_obs)).contiguous();
    }
  } catch (const c10::Error& e) {
    out = Error{fmt::format("{}: forward pass failed: {}", name_, e.what_without_backtrace())};
  } catch (const std::exception& e) {
    out = Error{fmt::format("{}: forward pass failed: {}", name_, e.what())};
  }
  if (!out.ok()) {
    for (std::string& e : errors) {
      if (e.empty()) e = out.error().message;
    }
    return;
  }
  const int64_t modes = out->poses.size(1);
  const float* poses = out->poses.data_ptr<float>();
  const float* scores = out->scores.data_ptr<float>();
  for (int i = 0; i < count; ++i) {
    const size_t k = static_cast<size_t>(i);
    if (!errors[k].empty()) continue;
    const int best = BestMode({scores + k * static_cast<size_t>(modes), static_cast<size_t>(modes)});
    const size_t at = (k * static_cast<size_t>(modes) + static_cast<size_t>(best)) * kH * io::kPoseDim;
    const ActorFrame frame = FeatureBuilder::FrameOf(*requests[k].model, *requests[k].state, requests[k].actor);
    const Result<void> d =
        DecodeTrajectory(frame, {poses + at, static_cast<size_t>(kH) * io::kPoseDim}, io::kStepS, &plans[k]);
    if (!d.ok()) {
      errors[k] = fmt::format("{}: {}", name_, d.error().message);
    } else {
      RemoveBackingUp(&plans[k]);
    }
  }
}

// ---- the three kinds ----------------------------------------------------------------

TransformerTorchPlanner::TransformerTorchPlanner(std::string name, TransformerPlanner model, torch::Device device)
    : TorchPlanner(std::move(name), device), model_(std::move(model)) {
  model_->to(device);
  model_->eval();
}

Result<BatchOutput> TransformerTorchPlanner::Run(const torch::Tensor& obs, std::span<const PlanRequest>) {
  const PlannerOutput out = model_->forward(obs);
  return CheckOutput(out.poses, out.scores, obs.size(0), name());
}

DiffusionTorchPlanner::DiffusionTorchPlanner(std::string name, DiffusionPlanner model, torch::Device device, int64_t seed)
    : TorchPlanner(std::move(name), device), model_(std::move(model)), seed_(seed) {
  model_->to(device);
  model_->eval();
}

uint64_t DiffusionTorchPlanner::NoiseSeed(int64_t run_seed, const PlanRequest& request) {
  const std::string& id = request.model->scenario().id();
  uint64_t h = Fnv1a(id.data(), id.size());
  const int64_t parts[2] = {run_seed, request.actor};
  return Fnv1a(parts, sizeof(parts), h);
}

Result<BatchOutput> DiffusionTorchPlanner::Run(const torch::Tensor& obs, std::span<const PlanRequest> requests) {
  // Noise per request from its own seed, drawn on the CPU: the same whatever
  // the batch, thread count or device.
  // Rows without a request (the warm-up) use the run seed alone.
  // With samples_ > 1, request k's samples are rows k * samples_ + j, sample
  // j's noise drawn after the first j samples' from the same generator.
  std::vector<torch::Tensor> noise;
  for (int64_t i = 0; i < obs.size(0); ++i) {
    const size_t k = static_cast<size_t>(i);
    at::Generator g = at::detail::createCPUGenerator(
        k < requests.size() ? NoiseSeed(seed_, requests[k]) : static_cast<uint64_t>(seed_));
    for (int j = 0; j < samples_; ++j) noise.push_back(torch::randn({kH, io::kPoseDim}, g, torch::kFloat));
  }
  const torch::Tensor x_T = torch::stack(noise).to(obs.device());
  const torch::Tensor rows = samples_ > 1 ? obs.repeat_interleave(samples_, 0) : obs;
  torch::Tensor poses;
  if (guidance_ && guidance_scale_ != 0.0) {
    // Autograd is needed for the guidance gradient: leave inference mode.
    c10::InferenceMode off(false);
    torch::NoGradGuard no_grad;
    poses = model_->Sample(rows.clone(), x_T.clone(), guidance_, guidance_scale_);
  } else {
    poses = model_->Sample(rows, x_T);
  }
  const int64_t b = obs.size(0);
  return CheckOutput(poses.view({b, samples_, kH, io::kPoseDim}), torch::zeros({b, samples_}, poses.options()), b, name());
}

TorchScriptPlanner::TorchScriptPlanner(std::string name, torch::jit::script::Module module, torch::Device device,
                                       std::string path)
    : TorchPlanner(std::move(name), device), module_(std::move(module)), path_(std::move(path)) {
  module_.to(device);
  module_.eval();
}

Result<BatchOutput> TorchScriptPlanner::Run(const torch::Tensor& obs, std::span<const PlanRequest>) {
  const torch::jit::IValue out = module_.forward({obs});
  const std::string who = fmt::format("torchscript {}", path_);
  if (out.isTensor()) return CheckOutput(out.toTensor(), {}, obs.size(0), who);
  if (out.isTuple()) {
    const auto& elems = out.toTupleRef().elements();
    if (elems.size() == 2 && elems[0].isTensor() && elems[1].isTensor()) {
      return CheckOutput(elems[0].toTensor(), elems[1].toTensor(), obs.size(0), who);
    }
  }
  return Error{fmt::format("{}: forward returned {}; the contract (docs/model-io.md) wants Tensor[B, {}, 3] or "
                           "(Tensor[B, N, {}, 3], Tensor[B, N])",
                           who, out.tagKind(), kH, kH)};
}

// ---- loading ----------------------------------------------------------------------

Result<std::unique_ptr<TorchPlanner>> LoadTorchPlanner(const std::string& kind, const std::string& path,
                                                       const LearnedRuntime& runtime) {
  if (runtime.threads < 1) return Error{fmt::format("threads {} must be at least 1", runtime.threads)};
  Result<torch::Device> device = ResolveDevice(runtime.device);
  if (!device.ok()) return device.error();
  if (!(runtime.plan_cost_weight >= 0.0) || !std::isfinite(runtime.plan_cost_weight)) {
    return Error{fmt::format("--plan-cost-weight {} must be a finite number >= 0", runtime.plan_cost_weight)};
  }
  // On the CPU every forward pass runs on one torch thread (the requests are
  // split across the run's thread pool instead: TorchPlanner::Plan).
  SetTorchThreads(device->is_cpu() ? 1 : runtime.threads);
  const std::string name = kind + ":" + path;
  std::unique_ptr<TorchPlanner> planner;
  try {
    if (kind == "torchscript") {
      torch::jit::script::Module module;
      try {
        module = torch::jit::load(path, torch::Device(torch::kCPU));
      } catch (const c10::Error& e) {
        return Error{fmt::format("torchscript {}: cannot load the module: {}", path, e.what_without_backtrace())};
      }
      planner = std::make_unique<TorchScriptPlanner>(name, std::move(module), *device, path);
    } else if (kind == "transformer" || kind == "diffusion") {
      Result<LoadedCheckpoint> ckpt = LoadCheckpoint(path, kind);
      if (!ckpt.ok()) return ckpt.error();
      if (kind == "transformer") {
        planner = std::make_unique<TransformerTorchPlanner>(name, ckpt->model.transformer, *device);
      } else {
        auto diffusion = std::make_unique<DiffusionTorchPlanner>(name, ckpt->model.diffusion, *device, runtime.seed);
        if (runtime.plan_cost_weight > 0.0) {
          // Several samples, each guided down the plan costs' gradient.
          diffusion->SetSamples(kCostSamples);
          // The gradient looks 4 s ahead with 1 m margins: over all 8 s the
          // far poses' gradients pile up on the first increments and the
          // guided paths turn jerky (measured: comfortable in 31 % of the
          // real scenarios instead of 97 %); the choice looks at all 8 s.
          PlanCostParams near;
          near.steps = 40;
          near.front_margin_m = 1.0;
          diffusion->SetGuidance(
              [near](const torch::Tensor& poses, const torch::Tensor& obs) {
                return PlanCost(poses.unsqueeze(1), obs, near).squeeze(1);
              },
              runtime.plan_cost_weight * kCostGuidanceGain);
        }
        planner = std::move(diffusion);
      }
    } else {
      return Error{fmt::format("unknown learned planner kind '{}'", kind)};
    }
    planner->SetCostWeight(runtime.plan_cost_weight);
    // Warm-up: one all-padding observation, output checked against the contract.
    torch::InferenceMode guard;
    const torch::Tensor obs = torch::zeros({1, kF}).to(*device);
    const Result<BatchOutput> out = planner->Run(obs, {});
    if (!out.ok()) return out.error();
  } catch (const c10::Error& e) {
    return Error{fmt::format("{}: {}", name, e.what_without_backtrace())};
  } catch (const std::exception& e) {
    return Error{fmt::format("{}: {}", name, e.what())};
  }
  return planner;
}

}  // namespace tarmac::learned

namespace tarmac {

bool HaveTorch() { return true; }

std::string TorchDescription() {
  return fmt::format("LibTorch {} ({})", TARMAC_TORCH_VERSION, torch::cuda::is_available() ? "CUDA available" : "CPU only");
}

Result<std::unique_ptr<Planner>> MakeLearnedPlanner(const std::string& kind, const std::string& path,
                                                    const LearnedRuntime& runtime) {
  Result<std::unique_ptr<learned::TorchPlanner>> p = learned::LoadTorchPlanner(kind, path, runtime);
  if (!p.ok()) return p.error();
  return std::unique_ptr<Planner>(std::move(*p));
}

}  // namespace tarmac
