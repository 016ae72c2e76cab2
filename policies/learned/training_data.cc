#include "policies/learned/training_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "policies/features/model_io.h"
#include "scenarios/scenario_io.h"
#include "scenarios/splitmix.h"

namespace tarmac {

namespace io = model_io;

void ListSamples(const ScenarioModel& model, int32_t index, int stride, std::vector<SampleRef>* out) {
  const int steps = model.num_log_steps();
  // Start with a full history where the log allows it.
  const int first = steps > io::kHistorySteps ? io::kHistorySteps - 1 : 0;
  std::vector<int> tracks;
  for (int step = first; step + 1 < steps; step += std::max(1, stride)) {
    FeatureBuilder::TrainingTracks(model, step, &tracks);
    for (int track : tracks) {
      // A sample needs at least its next step logged.
      if (!model.scenario().tracks(track).valid(step + 1)) continue;
      out->push_back({index, step, track});
    }
  }
}

Result<std::unique_ptr<TrainingData>> TrainingData::Load(const std::vector<std::string>& files, int stride,
                                                         double val_fraction, int64_t seed) {
  if (!(val_fraction >= 0.0 && val_fraction < 1.0)) {
    return Error{fmt::format("--val-fraction {} must be in [0, 1)", val_fraction)};
  }
  if (stride < 1) return Error{fmt::format("--stride {} must be at least 1", stride)};
  auto data = std::make_unique<TrainingData>();
  for (const std::string& f : files) {
    Result<std::vector<v1::Scenario>> r = ReadScenarios(f);
    if (!r.ok()) return r.error();
    for (v1::Scenario& s : *r) {
      const std::string id = s.id();
      Result<std::shared_ptr<const ScenarioModel>> m = ScenarioModel::Build(std::move(s));
      if (!m.ok()) {
        data->skipped_.push_back(fmt::format("{}: {}", f, m.error().message));
        continue;
      }
      data->models_.push_back(std::move(*m));
      data->ids_.push_back(id);
    }
  }
  const int n = static_cast<int>(data->models_.size());
  if (n == 0) return Error{"no scenario among the training data could be modelled"};
  // Split by scenario: sort by (id, index), shuffle with the seed.
  std::vector<int> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return data->ids_[static_cast<size_t>(a)] < data->ids_[static_cast<size_t>(b)]; });
  SplitMix64 g(static_cast<uint64_t>(seed) ^ 0x5EED5EED5EED5EEDULL);
  for (int i = n - 1; i > 0; --i) {
    std::swap(order[static_cast<size_t>(i)], order[g.Below(static_cast<uint64_t>(i) + 1)]);
  }
  int n_val = static_cast<int>(std::lround(val_fraction * n));
  if (val_fraction > 0.0 && n >= 2) n_val = std::max(n_val, 1);
  n_val = std::min(n_val, n - 1);
  std::vector<uint8_t> is_val(static_cast<size_t>(n), 0);
  for (int i = 0; i < n_val; ++i) is_val[static_cast<size_t>(order[static_cast<size_t>(i)])] = 1;
  // Samples in file order (scenario index, step, track).
  for (int i = 0; i < n; ++i) {
    ListSamples(*data->models_[static_cast<size_t>(i)], i, stride, is_val[static_cast<size_t>(i)] ? &data->val_ : &data->train_);
  }
  data->val_scenarios_ = n_val;
  data->train_scenarios_ = n - n_val;
  if (data->train_.empty()) return Error{"the training scenarios hold no sample (no vehicle with a logged next step)"};
  return data;
}

Result<void> TrainingData::Fill(std::span<const SampleRef> refs, std::span<const uint64_t> sample_ids,
                                const AugmentParams* augment, uint64_t seed, uint64_t epoch, std::span<float> obs,
                                std::span<float> target, ThreadPool* pool) {
  const int n = static_cast<int>(refs.size());
  const int chunks = std::max(1, std::min(n, pool != nullptr ? pool->size() : 1));
  if (builders_.size() < static_cast<size_t>(chunks)) builders_.resize(static_cast<size_t>(chunks));
  std::vector<std::string> errors(static_cast<size_t>(n));
  ParallelFor(pool, chunks, [&](int c) {
    FeatureBuilder& b = builders_[static_cast<size_t>(c)];
    for (int i = c * n / chunks; i < (c + 1) * n / chunks; ++i) {
      const size_t k = static_cast<size_t>(i);
      const SampleRef& r = refs[k];
      std::span<float> o = obs.subspan(k * io::kObservationFloats, io::kObservationFloats);
      std::span<float> t = target.subspan(k * io::kTargetFloats, io::kTargetFloats);
      const Result<void> ok =
          b.BuildTrainingSample(*models_[static_cast<size_t>(r.scenario)], r.step, r.track, {o}, {t});
      if (!ok.ok()) {
        errors[k] = ok.error().message;
        continue;
      }
      if (augment != nullptr) ApplyPerturbation(DrawPerturbation(*augment, seed, epoch, sample_ids[k]), o, t);
    }
  });
  for (size_t k = 0; k < errors.size(); ++k) {
    if (!errors[k].empty()) {
      return Error{fmt::format("scenario '{}' step {} track {}: {}", ids_[static_cast<size_t>(refs[k].scenario)],
                               refs[k].step, refs[k].track, errors[k])};
    }
  }
  return {};
}

}  // namespace tarmac
