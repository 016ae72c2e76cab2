// Training a learned planner by imitation (`tarmac train`,
// docs/learned-planners.md): the torch-free interface tools/ calls. Built
// without LibTorch, TrainModel reports that.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "policies/learned/augment.h"
#include "scenarios/result.h"

namespace tarmac {

struct TrainOptions {
  std::string model = "transformer";  // "transformer" or "diffusion"
  std::vector<std::string> data;      // scenario files, in the order given (the caller sorts)
  std::string data_hash;              // identifies `data` (recorded in the checkpoint)
  std::string code_rev = "unknown";   // source revision (recorded in the checkpoint)
  std::string out;                    // checkpoint, rewritten after every epoch
  std::string resume;                 // a checkpoint of this run to continue from ("": fresh)
  std::string loss_csv;               // per-epoch losses ("": none)
  int epochs = 10;                    // total epochs (a resumed run continues up to this)
  int stop_after = 0;                 // end this call after this many epochs (0: run to `epochs`); resume later
  int batch = 32;                     // samples per optimiser step
  double lr = 3e-4;                   // AdamW learning rate (cosine-decayed to 10 % over the run)
  double weight_decay = 1e-4;
  int64_t seed = 1;                   // initial weights, shuffling, augmentation, diffusion noise
  double val_fraction = 0.1;          // share of scenarios (not samples) held out
  int threads = 1;                    // torch intra-op threads and feature-building threads (>= 1), per rank
  int stride = 5;                     // log steps between two samples of one track
  int max_batches = 0;                // per epoch, 0: all (quick runs and tests)
  double pose_loss_weight = 0.0;      // diffusion: weight of the pose-space error (DiffusionPlannerImpl::Loss)
  // Model size (hyper-parameters recorded in the checkpoint).
  int dim = 128, heads = 4, encoder_layers = 3, decoder_layers = 2, feedforward = 256, modes = 6;
  int ego_history = 1;                // steps of its own past the actor's token sees (1: now only)
  AugmentParams augment;
  // Data-parallel training (docs/scale-out.md, "Data-parallel training"):
  // this process is rank `rank` of `world` processes that meet at the c10d
  // FileStore `store` (a path every rank can reach, absent before the run)
  // and listen on `host` ("": this machine's hostname). Every rank gets the
  // same options; each global batch of `batch` samples is split into
  // contiguous slices, one per rank, and only rank 0 reports progress and
  // writes `out` and `loss_csv`. world 1: one process, no c10d.
  int rank = 0, world = 1;
  std::string store, host;
};

// Reported after every batch (epoch_done false) and every epoch (true).
struct TrainProgress {
  int epoch = 0, epochs = 0;            // 1-based
  int64_t batch = 0, batches = 0;       // within the epoch, 1-based
  double loss = 0.0;                    // this batch's (or the epoch's mean) training loss
  bool epoch_done = false;
  double val_loss = 0.0;                // epoch_done only
  double val_ade = 0.0;                 // mean distance of the driven mode to the log [m]
  double val_fde = 0.0;                 // ... at 8 s [m]
};

struct TrainSummary {
  int64_t train_samples = 0, val_samples = 0;
  int train_scenarios = 0, val_scenarios = 0;
  int epochs_run = 0;                   // in this call (0 when a resumed run was already done)
  double train_loss = 0.0, val_loss = 0.0, val_ade = 0.0, val_fde = 0.0;  // last epoch
  int64_t parameters = 0;
};

// Trains and writes options.out. Errors name the file or option at fault.
Result<TrainSummary> TrainModel(const TrainOptions& options,
                                const std::function<void(const TrainProgress&)>& progress);

}  // namespace tarmac
