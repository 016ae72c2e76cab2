// The samples `tarmac train` learns from (docs/learned-planners.md): every
// vehicle valid in the log (the logged ego and every other one) at every
// `stride`-th step, with a logged next step; a validation split by scenario.
// Samples are listed, not stored: a batch's observations are built when it is
// needed (~20 µs each), in parallel, each from its own (scenario, step,
// track) alone. No LibTorch.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "policies/features/feature_builder.h"
#include "policies/learned/augment.h"
#include "scenarios/result.h"
#include "sim/scenario_model.h"
#include "sim/thread_pool.h"

namespace tarmac {

struct SampleRef {
  int32_t scenario = 0;  // index into TrainingData::scenario_ids()
  int32_t step = 0;      // log step "now"
  int32_t track = 0;     // track index in that scenario
};

class TrainingData {
 public:
  // Reads every file (in the order given), lists the samples and splits the
  // scenarios: sorted by id, shuffled by `seed`, the first
  // round(val_fraction * n) are validation (at least one when 0 < fraction
  // and n >= 2; never all). Fails naming a file that cannot be read.
  // Scenarios the simulator cannot model are skipped and listed in skipped().
  static Result<std::unique_ptr<TrainingData>> Load(const std::vector<std::string>& files, int stride,
                                                    double val_fraction, int64_t seed);

  const std::vector<SampleRef>& train() const { return train_; }
  const std::vector<SampleRef>& val() const { return val_; }
  int train_scenarios() const { return train_scenarios_; }
  int val_scenarios() const { return val_scenarios_; }
  const std::vector<std::string>& scenario_ids() const { return ids_; }
  const std::vector<std::string>& skipped() const { return skipped_; }

  // Builds refs[i]'s observation into obs[i * kObservationFloats ...] and its
  // target into target[i * kTargetFloats ...]. With `augment`, sample i is
  // perturbed by DrawPerturbation(*augment, seed, epoch, sample_ids[i]).
  // Split across `pool` (may be null); the bytes do not depend on it.
  Result<void> Fill(std::span<const SampleRef> refs, std::span<const uint64_t> sample_ids,
                    const AugmentParams* augment, uint64_t seed, uint64_t epoch, std::span<float> obs,
                    std::span<float> target, ThreadPool* pool);

 private:
  std::vector<std::shared_ptr<const ScenarioModel>> models_;
  std::vector<std::string> ids_;
  std::vector<std::string> skipped_;
  std::vector<SampleRef> train_, val_;
  int train_scenarios_ = 0, val_scenarios_ = 0;
  std::vector<FeatureBuilder> builders_;  // one per chunk of a Fill
};

// The samples of one scenario (appended to `out`, scenario index `index`).
void ListSamples(const ScenarioModel& model, int32_t index, int stride, std::vector<SampleRef>* out);

}  // namespace tarmac
