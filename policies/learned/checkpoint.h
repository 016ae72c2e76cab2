// Checkpoints of the learned planners (docs/learned-planners.md,
// "checkpoint format"): one self-describing file,
//
//   "TARMACCK"   8 bytes, magic
//   version      u32 little-endian (kCheckpointFormat)
//   header size  u64 little-endian
//   header       JSON: model kind, contract version, hyper-parameters,
//                normalisation constants, training-data hash, code revision,
//                training state (epoch, step, options), and the tensor table
//                (name, shape, byte offset)
//   tensors      float32 little-endian, contiguous, in table order
//   checksum     u64 little-endian FNV-1a of every byte before it
//
// Reading checks the magic, version, size and checksum before anything else
// (so a truncated or bit-flipped file is refused as such), then every header
// item against this build and every tensor's shape against the network the
// hyper-parameters describe. Errors name the file and the mismatch; nothing
// here throws.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "policies/learned/models.h"
#include "scenarios/result.h"

namespace tarmac::learned {

inline constexpr uint32_t kCheckpointFormat = 1;

struct NamedTensor {
  std::string name;
  torch::Tensor tensor;  // float32 (any device; written from a CPU copy)
};

// What a checkpoint says about itself, besides the tensors.
struct CheckpointInfo {
  ModelConfig config;
  std::string data_hash;      // identifies the training data
  std::string code_rev;       // source revision that trained it
  nlohmann::json training;    // epoch, step, seed, batch, lr, ... (free-form, recorded by the trainer)
};

// Writes `model`'s parameters (named as model.named_parameters()) and
// `optimiser` tensors to `path` atomically (a temporary file, then rename).
Result<void> SaveCheckpoint(const std::string& path, const CheckpointInfo& info, const torch::nn::Module& model,
                            const std::vector<NamedTensor>& optimiser = {});

struct LoadedCheckpoint {
  CheckpointInfo info;
  AnyModel model;                    // built from the hyper-parameters, weights loaded (CPU)
  std::vector<NamedTensor> optimiser;
};

// Reads and checks `path`; `kind` ("transformer" / "diffusion", or empty for
// either) must match the file's.
Result<LoadedCheckpoint> LoadCheckpoint(const std::string& path, const std::string& kind);

// The normalisation constants and sizes of this build's model contract, as
// recorded in (and compared against) every checkpoint.
nlohmann::json ContractJson();

// FNV-1a 64 of `bytes`, continuing from `hash`.
uint64_t Fnv1a(const void* bytes, size_t n, uint64_t hash = 0xcbf29ce484222325ULL);

}  // namespace tarmac::learned
