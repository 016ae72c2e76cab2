#include "tools/train_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>

#include "policies/learned/learned_planners.h"
#include "policies/learned/train.h"
#include "tools/cli_util.h"
#include "tools/sha256.h"

namespace tarmac {
namespace {

struct TrainCommandOptions {
  TrainOptions train;
  std::vector<std::string> data;
};

// A bar on a terminal (rewritten in place), else one line per epoch.
class TrainProgressPrinter {
 public:
  TrainProgressPrinter() : tty_(isatty(STDERR_FILENO) != 0) {}
  void operator()(const TrainProgress& p) {
    if (p.epoch_done) {
      if (tty_) fmt::print(stderr, "\r{:<100}\r", "");
      fmt::print(stderr, "epoch {}/{}: train loss {:.4f}, val loss {:.4f}, val ADE {:.2f} m, FDE {:.2f} m\n", p.epoch,
                 p.epochs, p.loss, p.val_loss, p.val_ade, p.val_fde);
      return;
    }
    if (!tty_) return;
    constexpr int kWidth = 30;
    const int fill = p.batches > 0 ? static_cast<int>(kWidth * p.batch / p.batches) : kWidth;
    fmt::print(stderr, "\repoch {}/{} [{}{}] {}/{} batches  loss {:.4f}  ", p.epoch, p.epochs,
               std::string(static_cast<size_t>(fill), '#'), std::string(static_cast<size_t>(kWidth - fill), '.'), p.batch,
               p.batches, p.loss);
  }

 private:
  bool tty_;
};

int RunTrain(TrainCommandOptions o) {
  if (!HaveTorch()) {
    Result<TrainSummary> r = TrainModel(o.train, {});  // says why
    fmt::print(stderr, "tarmac train: {}\n", r.error().message);
    return kExitInputError;
  }
  if (o.train.threads == 0) o.train.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::string> missing;
  const std::vector<std::filesystem::path> files = ExpandScenarioPaths(o.data, &missing);
  for (const std::string& m : missing) fmt::print(stderr, "tarmac train: --data {}: no such file or directory\n", m);
  if (!missing.empty()) return kExitInputError;
  if (files.empty()) {
    fmt::print(stderr, "tarmac train: --data: no scenario files\n");
    return kExitInputError;
  }
  // The data's identity: the sorted SHA-256 digests of its files.
  std::vector<std::string> digests;
  for (const std::filesystem::path& f : files) {
    Result<std::string> d = Sha256File(f);
    if (!d.ok()) {
      fmt::print(stderr, "tarmac train: {}\n", d.error().message);
      return kExitInputError;
    }
    digests.push_back(*d);
    o.train.data.push_back(f.string());
  }
  std::sort(digests.begin(), digests.end());
  std::string all;
  for (const std::string& d : digests) all += d + "\n";
  o.train.data_hash = "sha256:" + Sha256Hex(all);
  o.train.code_rev = TARMAC_GIT_REV;
  fmt::print(stderr, "tarmac train: {} model, {} files, {} threads, {}\n", o.train.model, files.size(), o.train.threads,
             TorchDescription());
  TrainProgressPrinter printer;
  Result<TrainSummary> s = TrainModel(o.train, [&](const TrainProgress& p) { printer(p); });
  if (!s.ok()) {
    fmt::print(stderr, "tarmac train: {}\n", s.error().message);
    return kExitInputError;
  }
  fmt::print("{}: {} model, {} parameters; {} training samples from {} scenarios, {} validation samples from {} "
             "scenarios; {} epochs run; last train loss {:.4f}, val loss {:.4f}, val ADE {:.2f} m, FDE {:.2f} m\n",
             o.train.out, o.train.model, s->parameters, s->train_samples, s->train_scenarios, s->val_samples,
             s->val_scenarios, s->epochs_run, s->train_loss, s->val_loss, s->val_ade, s->val_fde);
  return kExitOk;
}

}  // namespace

void AddTrainCommand(CLI::App* app) {
  auto o = std::make_shared<TrainCommandOptions>();
  TrainOptions& t = o->train;
  t.threads = 0;  // all cores unless given
  CLI::App* cmd = app->add_subcommand("train", "Train a learned planner (transformer or diffusion) from logged driving");
  cmd->add_option("--model", t.model, "transformer or diffusion")->capture_default_str()->check(
      CLI::IsMember({"transformer", "diffusion"}));
  cmd->add_option("--data", o->data, "Scenario files or folders (every valid vehicle is a sample)")->required();
  cmd->add_option("--out", t.out, "Checkpoint to write (rewritten after every epoch)")->required();
  cmd->add_option("--epochs", t.epochs, "Total epochs")->capture_default_str();
  cmd->add_option("--stop-after", t.stop_after, "Stop after this many epochs of this call (resume later)");
  cmd->add_option("--batch", t.batch, "Samples per optimiser step")->capture_default_str();
  cmd->add_option("--lr", t.lr, "AdamW learning rate (cosine decay to a tenth)")->capture_default_str();
  cmd->add_option("--seed", t.seed, "Seed of weights, shuffling, augmentation and noise")->capture_default_str();
  cmd->add_option("--val-fraction", t.val_fraction, "Share of scenarios held out for validation")->capture_default_str();
  cmd->add_option("--threads", t.threads,
                  "Torch and feature-building threads (default: all cores; the weights depend on it, "
                  "the checkpoint records it)");
  cmd->add_option("--resume", t.resume, "Continue from this run's checkpoint (same options and data)");
  cmd->add_option("--loss-csv", t.loss_csv, "Write the per-epoch losses as CSV");
  cmd->add_option("--stride", t.stride, "Log steps between two samples of one vehicle")->capture_default_str();
  cmd->add_option("--max-batches", t.max_batches, "Batches per epoch, 0: all (quick runs)")->capture_default_str();
  cmd->add_option("--dim", t.dim, "Token width")->capture_default_str();
  cmd->add_option("--heads", t.heads, "Attention heads")->capture_default_str();
  cmd->add_option("--encoder-layers", t.encoder_layers, "Transformer encoder layers")->capture_default_str();
  cmd->add_option("--decoder-layers", t.decoder_layers, "Decoder layers")->capture_default_str();
  cmd->add_option("--feedforward", t.feedforward, "Hidden width of the transformer layers")->capture_default_str();
  cmd->add_option("--modes", t.modes, "Transformer: trajectory modes (1..6)")->capture_default_str();
  cmd->add_option("--ego-history", t.ego_history,
                  "Steps of its own past the planner sees, counting now (1..21; 1: the current state only)")
      ->capture_default_str();
  cmd->add_option("--augment-probability", t.augment.probability, "Share of samples perturbed")->capture_default_str();
  cmd->add_option("--augment-lateral", t.augment.lateral_m, "Lateral shift bound [m]")->capture_default_str();
  cmd->add_option("--augment-heading", t.augment.heading_rad, "Heading turn bound [rad]")->capture_default_str();
  cmd->add_option("--augment-speed", t.augment.speed_frac, "Speed scale bound (fraction)")->capture_default_str();
  cmd->callback([o] { SetCommand([o] { return RunTrain(*o); }); });
}

}  // namespace tarmac
